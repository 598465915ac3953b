// Per-address and per-network caps on WebSocket connections, through a real gateway (issue 13).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RelaydeskClient } from '../../../clients/sdk/src/node.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';

let t: TestGateway;
let tech: RelaydeskClient;
const open: WebSocket[] = [];

beforeAll(async () => {
  t = await startTestGateway({
    capLoopback: 'true',
    connectionsPerAddress: '5',
    connectionsPerPrefix: '8',
    unauthenticatedPerAddress: '3',
    unauthenticatedPerPrefix: '6',
  });
  const pw = await t.addTechnician('cora', 'acme');
  tech = t.client();
  await tech.login('cora', pw);
});
afterAll(async () => {
  for (const ws of open) ws.terminate();
  await t?.stop();
});

/** Opens a customer WebSocket from `localAddress`: 'open', or the refusal's HTTP status and error code. */
function connect(localAddress: string): Promise<{ ws?: WebSocket; result: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(t.baseUrl.replace('https:', 'wss:') + '/v1/customer', { ca: t.gateway.caPem, localAddress, perMessageDeflate: false });
    ws.on('open', () => {
      open.push(ws);
      resolve({ ws, result: 'open' });
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ result: `${res.statusCode} ${(JSON.parse(body) as { error: { code: string } }).error.code}` }));
    });
    ws.on('error', () => {});
  });
}

/** Sends a join with a real PIN, so the connection is past its first message and stays (waiting). */
async function joinWaiting(ws: WebSocket): Promise<void> {
  const { pin } = await tech.createSession();
  const waiting = new Promise<void>((resolve) =>
    ws.on('message', (d) => {
      if ((JSON.parse(d.toString()) as { state?: string }).state === 'waiting') resolve();
    }),
  );
  ws.send(JSON.stringify({ v: 1, type: 'join', pin, name: 'Casey' }));
  await waiting;
}

describe('connection caps', () => {
  it('caps connections without a first message, then open connections, per address', async () => {
    const a = '127.60.0.1';
    const first = [await connect(a), await connect(a), await connect(a)];
    expect(first.map((c) => c.result)).toEqual(['open', 'open', 'open']);
    expect((await connect(a)).result).toBe('429 E_TOO_MANY_CONNECTIONS');
    // Past their first message they no longer count as unauthenticated, only as open.
    for (const c of first) await joinWaiting(c.ws!);
    expect([(await connect(a)).result, (await connect(a)).result]).toEqual(['open', 'open']);
    expect((await connect(a)).result).toBe('429 E_TOO_MANY_CONNECTIONS');
    // Another address is not affected; a closed connection frees its place.
    expect((await connect('127.61.0.1')).result).toBe('open');
    const gone = first[0]!.ws!;
    await new Promise<void>((resolve) => {
      gone.once('close', () => resolve());
      gone.close();
    });
    await new Promise((r) => setTimeout(r, 100));
    expect((await connect(a)).result).toBe('open');
  });

  it('caps connections per /24 across its addresses', async () => {
    const results: string[] = [];
    for (let i = 1; i <= 8; i++) results.push((await connect(`127.62.0.${i}`)).result);
    // 6 without a first message per /24.
    expect(results.filter((r) => r === 'open')).toHaveLength(6);
    expect(results.filter((r) => r === '429 E_TOO_MANY_CONNECTIONS')).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 100));
    const crossed = t.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'limit.crossed');
    expect(crossed).toContainEqual(expect.objectContaining({ limit: 'unauthenticated_connections', scope: 'prefix', source: '127.62.0.0/24' }));
    expect(crossed).toContainEqual(expect.objectContaining({ limit: 'connections', scope: 'address', source: '127.60.0.1' }));
  });
});

describe('a full gateway', () => {
  it('answers 503 E_CAPACITY past maxConnections and logs the crossing once, not per refusal', async () => {
    const full = await startTestGateway({ maxConnections: '2' });
    const sockets: WebSocket[] = [];
    try {
      const results: string[] = [];
      for (let i = 0; i < 5; i++) {
        results.push(
          await new Promise<string>((resolve) => {
            const ws = new WebSocket(full.baseUrl.replace('https:', 'wss:') + '/v1/customer', { ca: full.gateway.caPem, perMessageDeflate: false });
            sockets.push(ws);
            ws.on('open', () => resolve('open'));
            ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
            ws.on('error', () => {});
          }),
        );
      }
      expect(results).toEqual(['open', 'open', '503', '503', '503']);
      await new Promise((r) => setTimeout(r, 100));
      const crossed = full.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'limit.crossed');
      expect(crossed).toEqual([expect.objectContaining({ limit: 'connections', scope: 'global', source: 'all', maxConnections: 2 })]);
    } finally {
      for (const ws of sockets) ws.terminate();
      await full.stop();
    }
  });
});
