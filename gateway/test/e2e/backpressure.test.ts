import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { Channel, type SessionConnection } from '../../../clients/sdk/src/node.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { eventually, nextEvent, sleep } from './events.js';
import { noiseKeyframe } from './screen-frames.js';

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
    // Valid screen frames (keyframes of noise, ~32 KiB each, under maxMessageBytes): the screen module refuses anything else.
    const frame = noiseKeyframe(1, 90, 90);
    for (let n = 1, sent = 0; sent < 32 << 20; n++, sent += frame.byteLength) {
      new DataView(frame.buffer).setUint32(2, n); // the frame number: each keyframe is a new frame
      customer.sendRaw(frame.slice());
      while (customer.bufferedAmount > 1 << 20) await sleep(2);
    }
    expect(await eventually(async () => (await metric('relaydesk_dropped_messages_total{reason="backpressure"')) > before, 5000)).toBe(true);
    expect(customer.state).toBe('active');
    customer.end();
  });

  it('control messages past the cap disconnect a receiver that does not read (4429) and tell the other side', async () => {
    const { customer, tech } = await paired();
    stall(tech);
    const state = nextEvent(customer, 'state');
    let ended = false;
    customer.on('state', () => (ended = true));
    const line = 'x'.repeat(4000);
    for (let i = 0; i < 20_000 && !ended; i++) {
      customer.chat(line);
      while (customer.bufferedAmount > 1 << 20) await sleep(2);
      if (i % 50 === 0) await sleep(1);
    }
    expect(await state).toMatchObject({ state: 'closed', reason: 'slow_consumer' });
    expect(await customer.closedPromise()).toMatchObject({ code: 4410, reason: 'E_PEER_GONE' });
    expect(await metric('relaydesk_dropped_messages_total{reason="slow_consumer"')).toBeGreaterThan(0);
  });

  it('bulk data to a receiver that stops reading holds the sender back instead: nobody is disconnected, nothing is lost', async () => {
    const { customer, tech } = await paired();
    const chunk = 16 * 1024;
    const total = 24 << 20; // far more than the window and every socket buffer on the way
    let received = 0;
    let inOrder = true;
    tech.on('data', (channel, payload) => {
      if (channel !== Channel.data) return;
      const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
      if (view.getUint32(0) !== received / chunk) inOrder = false;
      received += payload.byteLength;
    });
    const slowBefore = await metric('relaydesk_dropped_messages_total{reason="slow_consumer"');
    stall(tech);
    let handed = 0;
    const sending = (async () => {
      for (let offset = 0; offset < total; offset += chunk) {
        const frame = new Uint8Array(chunk + 1);
        frame[0] = Channel.data;
        new DataView(frame.buffer).setUint32(1, offset / chunk);
        await customer.sendBulk(frame);
        handed += chunk;
      }
    })();
    // The sender stops at its credit (a window plus what the stalled reader's socket buffers took), far short of the total.
    let last = -1;
    expect(await eventually(async () => {
      const now = handed;
      const still = now === last && now > 0;
      last = now;
      await sleep(300);
      return still;
    }, 15_000)).toBe(true);
    expect(handed).toBeLessThan(total / 2);
    expect(await metric('relaydesk_dropped_messages_total{reason="slow_consumer"')).toBe(slowBefore);
    expect(customer.state).toBe('active');
    expect(tech.state).toBe('active');
    ((tech as unknown as { socket: WebSocket & { _socket: { resume(): void } } }).socket._socket).resume();
    await sending;
    expect(await eventually(() => received === total, 20_000)).toBe(true);
    expect(inOrder).toBe(true);
    expect(handed).toBe(total);
    customer.end();
  });
});
