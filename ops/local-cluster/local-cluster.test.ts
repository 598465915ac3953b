import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RelaydeskClient, nodeTransport, type SessionConnection } from '../../clients/sdk/src/node.js';

const here = import.meta.dirname;
const root = resolve(here, '../..');
// A base port of our own, so this test never meets a developer's cluster on the default ports, and below
// Linux's ephemeral range (32768+): a gateway's port is free while it restarts, and an outgoing connection of
// another process (or a test Redis on a free port) must not take it meanwhile.
const base = 20000 + 100 * Math.floor(Math.random() * 120);
const front = base + 43;
let runDir = '';

function sh(script: string, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn('bash', [join(here, script)], {
      cwd: root,
      env: { ...process.env, LC_BASE_PORT: String(base), LC_RUN_DIR: runDir, LC_GRACE_SECONDS: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, out });
    });
  });
}

function envFile(path: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolvePromise(true)));
    socket.once('error', () => resolvePromise(false));
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** relaydesk_connections by gateway id, from each gateway's own admin /metrics. */
async function connectionsPerGateway(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 1; i <= 3; i++) {
    const text = await (await fetch(`http://127.0.0.1:${base + 60 + i}/metrics`)).text();
    out[`gw${i}`] = text
      .split('\n')
      .filter((l) => l.startsWith('relaydesk_connections{'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }
  return out;
}

afterAll(async () => {
  if (runDir) {
    await sh('down.sh', 30_000);
    await rm(runDir, { recursive: true, force: true });
  }
});

describe('ops/local-cluster: up.sh and down.sh', () => {
  it('starts Redis, 3 gateways and HAProxy; pairs through the balancer; keeps sessions through a rolling restart; stops leaving nothing behind', async () => {
    runDir = await mkdtemp(join(tmpdir(), 'relaydesk-local-cluster-'));
    const up = await sh('up.sh', 60_000);
    expect(up.code, up.out).toBe(0);
    expect(up.out).toContain(`3 gateways behind HAProxy on https://localhost:${front}`);
    const { username, password } = envFile(join(runDir, 'technician.env'));
    const ca = readFileSync(join(runDir, 'tls', 'ca.crt'));
    const transports: { close(): void }[] = [];
    const client = () => {
      const t = nodeTransport({ baseUrl: `https://127.0.0.1:${front}`, ca });
      transports.push(t);
      return new RelaydeskClient(t, { handshakeTimeoutMs: 5000 });
    };

    try {
      // Every request and WebSocket is a new TCP connection to the balancer, which spreads them over the
      // gateways (leastconn); cross-gateway pairing (gateway link) makes that work wherever each side lands.
      const tech = client();
      await tech.login(username!, password!);
      const pairs: { customer: SessionConnection; technician: SessionConnection }[] = [];
      for (let round = 0; round < 3; round++) {
        const s = await tech.createSession();
        const customer = await client().joinSession({ pin: s.pin }, `Customer ${round}`);
        expect((await tech.listWaiting()).map((w) => w.guid)).toContain(s.guid);
        const technician = await tech.pickUp(s.guid);
        await customer.waitFor('active');
        pairs.push({ customer, technician });
      }
      for (const [i, { customer, technician }] of pairs.entries()) {
        const atTech = new Promise<string>((r) => technician.on('chat', (m) => r(m.text)));
        customer.chat(`hello ${i}`);
        expect(await atTech).toBe(`hello ${i}`);
        const atCustomer = new Promise<string>((r) => customer.on('chat', (m) => r(m.text)));
        technician.chat(`hi ${i}`);
        expect(await atCustomer).toBe(`hi ${i}`);
      }
      // Six connections over three gateways: the balancer used more than one of them.
      const spread = await connectionsPerGateway();
      expect(Object.values(spread).filter((n) => n > 0).length, JSON.stringify(spread)).toBeGreaterThanOrEqual(2);

      // An upgrade: every gateway drained and restarted in turn while all three pairs chat both ways. Each
      // party is moved at least once; the sessions resume through the balancer and no chat line is lost or doubled.
      const received = pairs.map(() => ({ atTech: [] as string[], atCustomer: [] as string[] }));
      pairs.forEach(({ customer, technician }, i) => {
        technician.on('chat', (m) => received[i]!.atTech.push(m.text));
        customer.on('chat', (m) => received[i]!.atCustomer.push(m.text));
      });
      let sent = 0;
      const pump = setInterval(() => {
        pairs.forEach(({ customer, technician }) => {
          customer.chat(`c${sent}`);
          technician.chat(`t${sent}`);
        });
        sent++;
      }, 100);
      const restart = await sh('rolling-restart.sh', 60_000);
      clearInterval(pump);
      expect(restart.code, restart.out).toBe(0);
      const all = (prefix: string) => Array.from({ length: sent }, (_, n) => `${prefix}${n}`);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !received.every((r) => r.atTech.length >= sent && r.atCustomer.length >= sent)) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const gaps = (got: string[], want: string[]) =>
        `missing ${JSON.stringify(want.filter((m) => !got.includes(m)))}, doubled ${JSON.stringify(got.filter((m, k) => got.indexOf(m) !== k))}`;
      for (const [i, r] of received.entries()) {
        expect(r.atTech, `pair ${i}, customer to technician: ${gaps(r.atTech, all('c'))}`).toEqual(all('c'));
        expect(r.atCustomer, `pair ${i}, technician to customer: ${gaps(r.atCustomer, all('t'))}`).toEqual(all('t'));
        expect([pairs[i]!.customer.state, pairs[i]!.technician.state]).toEqual(['active', 'active']);
      }
      for (const { customer } of pairs) customer.end();
    } finally {
      // down.sh drains the gateways; the SDK sockets must not keep this test process busy either.
      for (const t of transports) t.close();
    }

    const pids = readdirSync(runDir)
      .filter((f) => f.endsWith('.pid'))
      .map((f) => Number(readFileSync(join(runDir, f), 'utf8')));
    expect(pids).toHaveLength(5); // redis, gw1-3, haproxy
    const down = await sh('down.sh', 30_000);
    expect(down.code, down.out).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
    const ports = [front, base + 79, base + 80, ...[1, 2, 3].flatMap((i) => [base + 50 + i, base + 60 + i, base + 70 + i])];
    const open = [];
    for (const port of ports) if (await listening(port)) open.push(port);
    expect(open).toEqual([]);
    expect(readdirSync(runDir).filter((f) => f.endsWith('.pid'))).toEqual([]);
    expect(existsSync(join(runDir, 'gw1.log'))).toBe(true);
  }, 120_000);
});
