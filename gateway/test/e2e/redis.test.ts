import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelaydeskError } from '../../../clients/sdk/src/node.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { startRedisServer, type RedisServer } from '../redis-server.js';
import { eventually, nextEvent } from './events.js';

let redis: RedisServer;
let t: TestGateway;
let pw: string;
let pw2: string;

beforeAll(async () => {
  redis = await startRedisServer();
  t = await startTestGateway({ registry: 'redis', redisUrl: redis.url, accountStore: 'file' });
  pw = await t.addTechnician('rita', 'acme');
  pw2 = await t.addTechnician('rob', 'acme');
});
afterAll(async () => {
  await t?.stop();
  await redis?.stop();
});

const readyz = async () => (await fetch(`http://127.0.0.1:${t.gateway.adminPort}/readyz`)).status;

describe('the gateway on a real Redis registry', () => {
  it('pairs, and of many racing technicians exactly one wins the atomic pickup', async () => {
    const [a, b] = [t.client(), t.client()];
    await a.login('rita', pw);
    await b.login('rob', pw2);
    for (let round = 0; round < 3; round++) {
      const s = await a.createSession();
      const customer = await t.client().joinSession({ pin: s.pin }, `Racer ${round}`);
      const results = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).pickUp(s.guid)));
      const won = results.filter((r) => r.status === 'fulfilled');
      const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as RelaydeskError).code] : []));
      expect(won).toHaveLength(1);
      expect(codes).toEqual(Array(15).fill('E_SESSION_TAKEN'));
      await customer.waitFor('active');
      customer.end();
      await customer.closedPromise();
    }
  });

  it('survives Redis going away: readyz turns false, paired sessions keep relaying, new work fails fast, and it recovers', async () => {
    const tech = t.client();
    await tech.login('rita', pw);
    const s = await tech.createSession();
    const customer = await t.client().joinSession({ pin: s.pin }, 'Outage');
    const technician = await tech.pickUp(s.guid);
    await customer.waitFor('active');
    expect(await readyz()).toBe(200);

    await redis.stop();
    expect(await eventually(async () => (await readyz()) === 503, 5000)).toBe(true);

    // The paired session does not need Redis to relay.
    const chat = nextEvent(technician, 'chat');
    customer.chat('are you still there?');
    expect((await chat).text).toBe('are you still there?');

    // New operations fail fast with a clear error instead of hanging.
    const started = Date.now();
    const err = await tech.createSession().catch((e: RelaydeskError) => e);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toBeInstanceOf(RelaydeskError);
    expect([(err as RelaydeskError).code, (err as RelaydeskError).status]).toEqual(['E_REGISTRY_UNAVAILABLE', 503]);
    const join = await t.client().joinSession({ pin: '123456789' }, 'x').catch((e: RelaydeskError) => e);
    expect((join as RelaydeskError).code).toBe('E_REGISTRY_UNAVAILABLE');

    await redis.restart();
    expect(await eventually(async () => (await readyz()) === 200, 10_000)).toBe(true);
    // Redis restarted empty (no persistence): tokens are gone, so log in again; then everything works.
    await tech.login('rita', pw);
    const after = await tech.createSession();
    expect(after.pin).toMatch(/^\d{14}$/);
    customer.end();
  });
});
