import { createServer, type Server } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { GatewayError } from '../errors/gateway-error.js';
import { startRedisServer, type RedisServer } from '../../test/redis-server.js';
import { connectRedisRegistry, type RedisRegistry } from './redis-registry.js';
import { registryContract } from './registry.cases.js';

let server: RedisServer;
let prefixSeq = 0;

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// One server for the file; a fresh key prefix per case keeps cases apart without FLUSHALL.
registryContract('redis', async () => {
  const registry = await connectRedisRegistry({ url: server.url, keyPrefix: `rdtest${++prefixSeq}:` });
  return { registry, clock: systemClock, advance: sleep, cleanup: () => registry.close() };
});

async function outcome(p: Promise<unknown>): Promise<{ code: unknown; elapsedMs: number }> {
  const started = performance.now();
  try {
    await p;
    return { code: 'resolved', elapsedMs: performance.now() - started };
  } catch (err) {
    return { code: err instanceof GatewayError ? err.code : err, elapsedMs: performance.now() - started };
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

const record = () => {
  const now = Date.now();
  return {
    guid: `${now.toString(16)}${Math.random().toString(16).slice(2)}`.padEnd(32, '0').slice(0, 32),
    orgId: 'org-a',
    createdBy: 'tech',
    state: 'waiting' as const,
    createdAt: now,
    expiresAt: now + 60_000,
    updatedAt: now,
  };
};

describe('RedisRegistry outages', () => {
  // Its own server: these cases stop and restart it.
  let own: RedisServer;
  let registry: RedisRegistry;

  beforeAll(async () => {
    own = await startRedisServer();
  });
  afterAll(async () => {
    await registry?.close();
    await own?.stop();
  });

  it('fails fast while Redis is down and recovers by itself on the same port', async () => {
    registry = await connectRedisRegistry({ url: own.url });
    const changes: boolean[] = [];
    registry.onReadyChange((ready) => changes.push(ready));
    const created = await registry.createSession(record(), () => '777777');
    expect(registry.isReady()).toBe(true);

    await own.stop();
    await until('isReady() is false', () => !registry.isReady());
    for (const call of [
      registry.getSession(created.guid),
      registry.findGuidByPin('777777'),
      registry.updateSession(created.guid, { states: ['waiting'] }, { set: { state: 'active' } }),
      registry.listWaiting('org-a'),
      registry.hit('k', 1000),
      registry.createSession(record(), () => '888888'),
    ]) {
      const { code, elapsedMs } = await outcome(call);
      expect(code).toBe('E_REGISTRY_UNAVAILABLE');
      // A bound against hanging, not a speed target.
      expect(elapsedMs).toBeLessThan(2000);
    }

    await own.restart();
    await until('isReady() is true again', () => registry.isReady());
    // The restarted server is empty (no persistence), but it answers.
    expect(await registry.getSession(created.guid)).toBeNull();
    const again = await registry.createSession(record(), () => '777777');
    expect(await registry.findGuidByPin('777777')).toBe(again.guid);
    expect(changes).toEqual([false, true]);
  });

  it('fails a call that is in flight when Redis dies at once, not after the command timeout', async () => {
    const patient = await connectRedisRegistry({ url: own.url, commandTimeoutMs: 10_000 });
    try {
      // Hold the call in flight (the server parks it), then kill the server under it.
      const admin = new Redis(own.url);
      await admin.client('PAUSE', 5000, 'ALL');
      admin.disconnect();
      const pending = outcome(patient.getSession('x'));
      await sleep(50);
      await own.kill();
      const { code, elapsedMs } = await pending;
      expect(code).toBe('E_REGISTRY_UNAVAILABLE');
      expect(elapsedMs).toBeLessThan(2000);
    } finally {
      await patient.close();
      await own.restart();
    }
  });

  it('fails a call within the command timeout when Redis stops answering without closing', async () => {
    const slow = await connectRedisRegistry({ url: own.url, commandTimeoutMs: 300 });
    try {
      // A server that holds the connection open but does not answer: CLIENT PAUSE stalls every client.
      const admin = new Redis(own.url);
      await admin.client('PAUSE', 1000, 'ALL');
      const { code, elapsedMs } = await outcome(slow.getSession('x'));
      expect(code).toBe('E_REGISTRY_UNAVAILABLE');
      expect(elapsedMs).toBeGreaterThanOrEqual(250);
      expect(elapsedMs).toBeLessThan(900);
      await admin.client('UNPAUSE');
      admin.disconnect();
      expect(await slow.getSession('x')).toBeNull();
    } finally {
      await slow.close();
    }
  });

  it('start-up against a port with nothing listening rejects within the start-up bound, naming the address', async () => {
    const port = await closedPort();
    const started = performance.now();
    const { code } = await outcome(connectRedisRegistry({ url: `redis://127.0.0.1:${port}`, startupTimeoutMs: 1000 }));
    expect(code).toBe('E_REGISTRY_UNAVAILABLE');
    expect(performance.now() - started).toBeLessThan(2500);
    const err = await connectRedisRegistry({ url: `redis://user:secret@127.0.0.1:${port}`, startupTimeoutMs: 300 }).then(
      (r) => (void r.close(), new Error('connected to a closed port?')),
      (e: unknown) => e as Error,
    );
    expect(err.message).toContain(`redis://127.0.0.1:${port}`);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).not.toContain('secret');
  });

  it('start-up against a server that accepts but never answers rejects within the start-up bound', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = performance.now();
      const { code } = await outcome(connectRedisRegistry({ url: `redis://127.0.0.1:${port}`, startupTimeoutMs: 500 }));
      expect(code).toBe('E_REGISTRY_UNAVAILABLE');
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      silent.close();
    }
  });

  it('rejects ambiguous or missing connection options loudly', async () => {
    await expect(connectRedisRegistry({})).rejects.toThrow(/exactly one/);
    await expect(connectRedisRegistry({ sentinels: [{ host: '127.0.0.1', port: 1 }] })).rejects.toThrow(/sentinelName/);
  });
});

describe('RedisRegistry keys', () => {
  it('gives every key it writes a TTL and uses the configured prefix', async () => {
    const prefix = `ttlcheck${++prefixSeq}:`;
    const registry = await connectRedisRegistry({ url: server.url, keyPrefix: prefix });
    try {
      const a = await registry.createSession(record(), () => '500001');
      await registry.createSession({ ...record(), state: 'created' }, () => '500002');
      await registry.updateSession(a.guid, { states: ['waiting'] }, { set: { state: 'active' } });
      await registry.putToken('tok', { technicianId: 't', orgId: 'o', epoch: 1, expiresAt: 0 }, 60_000);
      await registry.hit('ctr', 60_000);
      await registry.listWaiting('org-a');
      const client = new Redis(server.url);
      const keys = await client.keys(`${prefix}*`);
      expect(keys.length).toBeGreaterThanOrEqual(6);
      for (const key of keys) expect([key, await client.pttl(key)]).toEqual([key, expect.toSatisfy((t: number) => t > 0)]);
      client.disconnect();
    } finally {
      await registry.close();
    }
  });

  it('prunes a stale PIN key left behind by an unfinished release and lets a new session take the PIN', async () => {
    const prefix = `stale${++prefixSeq}:`;
    const registry = await connectRedisRegistry({ url: server.url, keyPrefix: prefix });
    const client = new Redis(server.url);
    try {
      const a = await registry.createSession(record(), () => '600001');
      await registry.updateSession(a.guid, { states: ['waiting'] }, { set: { state: 'active' }, releasePin: true });
      // Simulate a gateway that died between the compare-and-set and the PIN release.
      await client.set(`${prefix}pin:600001`, a.guid, 'PX', 60_000);
      expect(await registry.findGuidByPin('600001')).toBeNull();
      await client.set(`${prefix}pin:600001`, a.guid, 'PX', 60_000);
      const b = await registry.createSession(record(), () => '600001');
      expect(b.pin).toBe('600001');
      expect(await registry.findGuidByPin('600001')).toBe(b.guid);
    } finally {
      client.disconnect();
      await registry.close();
    }
  });
});

describe('RedisRegistry PIN key lifetime', () => {
  it('moves the PIN key only when a new session lifetime outlives its margin, so the customer can still join by PIN', async () => {
    const prefix = `pinmargin${++prefixSeq}:`;
    const registry = await connectRedisRegistry({ url: server.url, keyPrefix: prefix, pinMarginMs: 100 });
    const client = new Redis(server.url);
    try {
      const now = Date.now();
      const a = await registry.createSession({ ...record(), state: 'created', expiresAt: now + 300 }, () => '700001');
      expect(await client.pttl(`${prefix}pin:700001`)).toBeGreaterThan(300); // 300 ms + the 100 ms margin
      // Within the margin: no command for the PIN key (its TTL stays what creation set).
      await registry.updateSession(a.guid, { states: ['created'] }, { set: {}, ttlMs: 350 });
      expect(await client.pttl(`${prefix}pin:700001`)).toBeLessThanOrEqual(400);
      // Past the margin: the PIN key follows, so the session is found by its PIN after its first lifetime.
      await registry.updateSession(a.guid, { states: ['created'] }, { set: {}, ttlMs: 1500 });
      await sleep(600);
      expect((await registry.findSessionByPin('700001'))?.guid).toBe(a.guid);
    } finally {
      client.disconnect();
      await registry.close();
    }
  });
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
