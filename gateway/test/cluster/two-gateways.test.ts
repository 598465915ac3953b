import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { Channel, FileTransfers, RelaydeskError, bytesSource, nodeSha256, type RelaydeskClient, type SessionConnection } from '../../../clients/sdk/src/node.js';
import { loadOrCreateCa } from '../../src/pki/certificate-files.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { startRedisServer, type RedisServer } from '../redis-server.js';
import { collect, eventually, nextEvent, sleep } from '../e2e/events.js';
import { noiseKeyframe } from '../e2e/screen-frames.js';

let redis: RedisServer;
let clusterDir: string;
let a: TestGateway;
let b: TestGateway;
let pw: string;
let pwCody: string;

async function gateway(id: string) {
  return startTestGateway({
    registry: 'redis',
    redisUrl: redis.url,
    gatewayId: id,
    clusterDir,
    linkHost: '127.0.0.1',
    linkPort: '0',
    linkAdvertise: '127.0.0.1',
    droppableQueueBytes: String(64 * 1024),
    resumeGraceSeconds: '1',
  });
}

beforeAll(async () => {
  redis = await startRedisServer();
  clusterDir = await mkdtemp(join(tmpdir(), 'relaydesk-cluster-ca-'));
  // One CA for the cluster, made before the gateways start (they would race to create it).
  await loadOrCreateCa({ dir: clusterDir, name: 'cluster-ca', commonName: 'test cluster CA', validityDays: 30 });
  a = await gateway('gw-a');
  b = await gateway('gw-b');
  pw = await a.addTechnician('cleo', 'acme');
  pwCody = await a.addTechnician('cody', 'acme');
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await redis?.stop();
  await rm(clusterDir, { recursive: true, force: true });
});

async function technicianOn(t: TestGateway, name = 'cleo'): Promise<RelaydeskClient> {
  const c = t.client();
  await c.login(name, name === 'cody' ? pwCody : pw);
  return c;
}

/** A customer waiting on gateway A, picked up by a technician on gateway B. */
async function crossPair() {
  const techB = await technicianOn(b);
  const s = await techB.createSession();
  const customer = await a.client().joinSession({ pin: s.pin }, 'Cross');
  const tech = await techB.pickUp(s.guid);
  await customer.waitFor('active');
  return { s, customer, tech, techB };
}

describe('two gateways on one Redis: a customer on A, a technician on B', () => {
  it('lists both gateways, least loaded first', async () => {
    const list = await a.client().call<{ gateways: { id: string; url: string; load: number; draining: boolean }[] }>('GET', '/v1/gateways');
    expect(list.gateways.map((g) => g.id).sort()).toEqual(['gw-a', 'gw-b']);
    expect(list.gateways.every((g) => g.url.startsWith('https://') && !g.draining)).toBe(true);
    const loads = list.gateways.map((g) => g.load);
    expect([...loads].sort((x, y) => x - y)).toEqual(loads);
  });

  it('pairs across gateways and relays chat, grants and binary channels both ways', async () => {
    const { customer, tech } = await crossPair();
    expect(tech.state).toBe('active');

    const atTech = nextEvent(tech, 'chat');
    customer.chat('hello from gateway A');
    expect((await atTech).text).toBe('hello from gateway A');
    const atCustomer = nextEvent(customer, 'chat');
    tech.chat('hello from gateway B');
    expect((await atCustomer).text).toBe('hello from gateway B');

    // Consent is enforced by A, which runs the session, for a technician on B just the same.
    const refused = nextEvent(tech, 'error');
    tech.send(Channel.input, new Uint8Array([1]));
    expect((await refused).code).toBe('E_NOT_GRANTED');
    const granted = nextEvent(tech, 'grants');
    customer.grant('control');
    customer.grant('view');
    expect(await granted).toEqual(['control']);
    const input = nextEvent(customer, 'data');
    tech.send(Channel.input, new Uint8Array([9, 8, 7]));
    const [channel, bytes] = await input;
    expect([channel, [...bytes]]).toEqual([Channel.input, [9, 8, 7]]);
    const big = noiseKeyframe(1, 224, 224); // ~200 kB: a valid screen frame (the screen module refuses others)
    const screen = nextEvent(tech, 'data');
    customer.sendRaw(big);
    const [, got] = await screen;
    expect(Buffer.from(got).equals(Buffer.from(big.subarray(1)))).toBe(true);

    const closed = tech.closedPromise();
    const state = nextEvent(tech, 'state');
    customer.end();
    expect(await state).toMatchObject({ state: 'closed', reason: 'customer_ended' });
    expect((await closed).code).toBe(1000);
  });

  it('the technician leaving on B suspends the session on A, which ends it when no resume comes', async () => {
    const { customer, tech } = await crossPair();
    const peer = nextEvent(customer, 'peer');
    const state = nextEvent(customer, 'state');
    tech.close();
    expect((await peer)[0]).toBe('reconnecting');
    expect(await state).toMatchObject({ state: 'closed', reason: 'resume_timeout' });
    expect(await customer.closedPromise()).toMatchObject({ code: 4410, reason: 'E_PEER_GONE' });
  });

  it('technicians racing from both gateways: exactly one wins', async () => {
    const [onA, onB] = [await technicianOn(a, 'cleo'), await technicianOn(b, 'cody')];
    const s = await onA.createSession();
    const customer = await a.client().joinSession({ pin: s.pin }, 'Racer');
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => (i % 2 ? onA : onB).pickUp(s.guid)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as RelaydeskError).code] : []));
    expect(codes).toEqual(Array(9).fill('E_SESSION_TAKEN'));
    await customer.waitFor('active');
    customer.end();
  });

  it('one stalled session does not stall another on the same link; its screen packets are dropped', async () => {
    const slow = await crossPair();
    const fast = await crossPair();
    slow.customer.grant('view');
    await nextEvent(slow.tech, 'grants');
    // The slow technician stops reading its socket.
    ((slow.tech as unknown as { socket: WebSocket & { _socket: { pause(): void } } }).socket._socket).pause();
    const frame = noiseKeyframe(1, 90, 90); // ~32 kB keyframes, each a new frame number
    for (let i = 0; i < 300; i++) {
      new DataView(frame.buffer).setUint32(2, i + 1);
      slow.customer.sendRaw(frame.slice());
      while (slow.customer.bufferedAmount > 1 << 20) await sleep(2);
    }
    const chats = collect(fast.tech, 'chat');
    const started = Date.now();
    fast.customer.chat('still flowing?');
    expect(await eventually(() => chats.length === 1, 3000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
    const metrics = await (await fetch(`http://127.0.0.1:${a.gateway.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/relaydesk_dropped_messages_total\{reason="backpressure"[^}]*\} [1-9]/);
    expect(slow.customer.state).toBe('active');
    slow.customer.end();
    fast.customer.end();
  });

  it('bulk data at full speed across the link, both ways at once, loses nothing and disconnects nobody who reads', async () => {
    const { customer, tech } = await crossPair();
    const chunk = 16 * 1024;
    const total = 12 << 20;
    const pump = (from: SessionConnection) =>
      (async () => {
        for (let i = 0; i < total / chunk; i++) {
          const frame = new Uint8Array(chunk + 1);
          frame[0] = Channel.data;
          new DataView(frame.buffer).setUint32(1, i);
          await from.sendBulk(frame);
        }
      })();
    const counter = (to: SessionConnection) => {
      const got = { frames: 0, inOrder: true };
      to.on('data', (channel, payload) => {
        if (channel !== Channel.data) return;
        if (new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0) !== got.frames) got.inOrder = false;
        got.frames++;
      });
      return got;
    };
    const atTech = counter(tech);
    const atCustomer = counter(customer);
    await Promise.all([pump(customer), pump(tech)]);
    expect(await eventually(() => atTech.frames === total / chunk && atCustomer.frames === total / chunk, 20_000)).toBe(true);
    expect([atTech.inOrder, atCustomer.inOrder]).toEqual([true, true]);
    expect([customer.state, tech.state]).toEqual(['active', 'active']);
    for (const g of [a, b]) {
      const metrics = await (await fetch(`http://127.0.0.1:${g.gateway.adminPort}/metrics`)).text();
      expect(metrics).not.toMatch(/relaydesk_dropped_messages_total\{reason="(slow_consumer|flow_control)"[^}]*\} [1-9]/);
    }
    customer.end();
  });

  it('a file crosses the gateway link both ways byte-exact, and the anchor still refuses a chunk past its size', async () => {
    const { customer, tech } = await crossPair();
    customer.grant('files');
    expect(await eventually(() => tech.grants.includes('files'))).toBe(true);
    const atTech = new FileTransfers(tech, { hash: nodeSha256 });
    const atCustomer = new FileTransfers(customer, { hash: nodeSha256 });
    const keep = (files: FileTransfers) => {
      const parts: Uint8Array[] = [];
      files.on('offer', (f) => f.accept({ write: (c) => void parts.push(c.slice()), finish: () => {} }));
      return parts;
    };
    const atCustomerParts = keep(atCustomer);
    const atTechParts = keep(atTech);
    const down = randomBytes(3 * 1024 * 1024 + 1);
    const up = randomBytes(1024 * 1024 + 3);
    const [d, u] = await Promise.all([atTech.offer(bytesSource('down.bin', down)).done, atCustomer.offer(bytesSource('up.bin', up)).done]);
    expect([d.ok, u.ok]).toEqual([true, true]);
    expect(Buffer.concat(atCustomerParts).equals(down)).toBe(true);
    expect(Buffer.concat(atTechParts).equals(up)).toBe(true);

    // The technician is bridged from B; the session runs on A, which counts the bytes of each offer.
    const errors = collect(tech, 'error');
    const fileMessages = collect(tech, 'file');
    tech.fileControl({ type: 'file-offer', id: 42, name: 'short.txt', size: 2 });
    expect(await eventually(() => fileMessages.some(([m]) => m.type === 'file-accept' && m.id === 42))).toBe(true);
    await tech.sendBulk(Uint8Array.from([0x03, 0, 0, 0, 42, 1, 2, 3]));
    expect(await eventually(() => errors.some(([e]) => e.code === 'E_FILE_SIZE_MISMATCH'))).toBe(true);
    customer.end();
  });

  it('a revoke sent to the gateway that does not run the session stops it within a second', async () => {
    const { s, customer, tech, techB } = await crossPair();
    const state = nextEvent(customer, 'state');
    const started = Date.now();
    await techB.revokeSession(s.guid); // B's API; the session runs on A
    expect(await state).toMatchObject({ state: 'closed', reason: 'revoked' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await tech.closedPromise()).toMatchObject({ code: 1000 });
  });

  it('logging out on one gateway ends the technician’s part in a session that runs on another', async () => {
    const onA = await technicianOn(a, 'cody');
    const s = await onA.createSession();
    const customer = await a.client().joinSession({ pin: s.pin }, 'Lou');
    const tech = await onA.pickUp(s.guid); // everything on A
    await customer.waitFor('active');
    const sameTokenOnB = b.client();
    sameTokenOnB.useToken(onA.bearerToken!);
    const state = nextEvent(customer, 'state');
    const started = Date.now();
    await sameTokenOnB.logout();
    expect(await tech.closedPromise()).toMatchObject({ code: 4401, reason: 'E_TOKEN_INVALID' });
    expect(await state).toMatchObject({ state: 'closed', reason: 'access_revoked' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('when the customer’s gateway goes away, the technician on B is told its peer is gone', async () => {
    const extra = await gateway('gw-c');
    try {
      const techB = await technicianOn(b);
      const s = await techB.createSession();
      const customer: SessionConnection = await extra.client().joinSession({ pin: s.pin }, 'Doomed');
      const tech = await techB.pickUp(s.guid);
      await customer.waitFor('active');
      const closed = tech.closedPromise();
      await extra.stop();
      expect((await closed).code).toBeGreaterThanOrEqual(4000);
    } finally {
      await extra.stop();
    }
  });
});
