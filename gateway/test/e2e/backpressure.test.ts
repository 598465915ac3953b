import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { Channel, type SessionConnection } from '../../../clients/sdk/src/node.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { eventually, nextEvent, sleep } from './events.js';

let t: TestGateway;
let pw: string;
const reliableCap = 256 * 1024;

beforeAll(async () => {
  t = await startTestGateway({ reliableQueueBytes: String(reliableCap), droppableQueueBytes: String(64 * 1024), maxMessageBytes: String(64 * 1024) });
  pw = await t.addTechnician('sam', 'acme');
});
afterAll(() => t.stop());

/** Stops reading the technician's TCP socket, so everything for it piles up in the gateway. */
function stall(conn: SessionConnection): void {
  ((conn as unknown as { socket: WebSocket & { _socket: { pause(): void } } }).socket._socket).pause();
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${t.gateway.adminPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) sum += Number(line.split(' ').pop());
  return sum;
}

async function paired() {
  const tc = t.client();
  await tc.login('sam', pw);
  const s = await tc.createSession();
  const customer = await t.client().joinSession({ pin: s.pin }, 'Robin');
  const tech = await tc.pickUp(s.guid);
  await customer.waitFor('active');
  customer.grant('view');
  await nextEvent(tech, 'grants');
  return { customer, tech };
}

/** Sends until the customer's own socket buffer is drained, so the gateway really received it all. */
async function flood(conn: SessionConnection, channel: number, chunk: number, total: number, until?: () => boolean) {
  const payload = new Uint8Array(chunk);
  for (let sent = 0; sent < total && !until?.(); sent += chunk) {
    conn.send(channel, payload);
    while (conn.bufferedAmount > 1 << 20) await sleep(2);
  }
}

describe('a slow receiver never makes the gateway buffer without bound', () => {
  it('screen packets to a stalled viewer are dropped and counted; the session survives', async () => {
    const { customer, tech } = await paired();
    const before = await metric('relaydesk_dropped_messages_total{reason="backpressure"');
    stall(tech);
    await flood(customer, Channel.screen, 32 * 1024, 32 << 20);
    expect(await eventually(async () => (await metric('relaydesk_dropped_messages_total{reason="backpressure"')) > before, 5000)).toBe(true);
    expect(customer.state).toBe('active');
    customer.end();
  });

  it('reliable data past the cap disconnects the slow side with 4429 and tells the other side', async () => {
    const { customer, tech } = await paired();
    stall(tech);
    const state = nextEvent(customer, 'state');
    let ended = false;
    customer.on('state', () => (ended = true));
    await flood(customer, Channel.data, 32 * 1024, 64 << 20, () => ended);
    expect(await state).toMatchObject({ state: 'closed', reason: 'slow_consumer' });
    expect(await customer.closedPromise()).toMatchObject({ code: 4410, reason: 'E_PEER_GONE' });
    expect(await metric('relaydesk_dropped_messages_total{reason="slow_consumer"')).toBeGreaterThan(0);
  });
});
