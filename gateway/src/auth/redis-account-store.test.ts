import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../test/redis-server.js';
import { redisStoreHarness } from '../../test/redis-store-harness.js';
import { account, runAccountStoreCases } from './account-store.cases.js';
import { RedisAccountStore } from './redis-account-store.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

runAccountStoreCases('redis', redisStoreHarness(() => server, 'accttest', (redis, keyPrefix) => new RedisAccountStore({ redis, keyPrefix })));

describe('RedisAccountStore specifics', () => {
  it('keeps accounts without a TTL, in one Cluster hash slot', async () => {
    const redis = new Redis(server.url);
    try {
      const store = new RedisAccountStore({ redis, keyPrefix: 'ttltest:' });
      await store.create(account());
      const keys = (await redis.keys('ttltest:*')).sort();
      expect(keys).toEqual(['ttltest:acct:{accounts}:by-id', 'ttltest:acct:{accounts}:by-username']);
      for (const k of keys) expect(await redis.pttl(k)).toBe(-1); // -1: exists, no expiry
    } finally {
      await redis.quit();
    }
  });

  it('applies concurrent updates from many writers without losing one (compare-and-set retries)', async () => {
    const redis = new Redis(server.url);
    const writers = Array.from({ length: 4 }, () => new Redis(server.url));
    try {
      await new RedisAccountStore({ redis, keyPrefix: 'cas:' }).create(account());
      // Each writer flips a different field; a lost update would drop one of them.
      const fields = [{ displayName: 'A' }, { disabled: true }, { tokenEpoch: 7 }, { orgId: 'beta' }];
      await Promise.all(writers.map((w, i) => new RedisAccountStore({ redis: w, keyPrefix: 'cas:' }).update('tech-1', fields[i]!)));
      expect(await new RedisAccountStore({ redis, keyPrefix: 'cas:' }).getById('tech-1')).toMatchObject({
        displayName: 'A',
        disabled: true,
        tokenEpoch: 7,
        orgId: 'beta',
      });
    } finally {
      await Promise.all([redis, ...writers].map((c) => c.quit()));
    }
  });

  it('reports an unreachable Redis as E_REGISTRY_UNAVAILABLE', async () => {
    const redis = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    const store = new RedisAccountStore({ redis, ownsClient: true });
    await expect(store.getById('x')).rejects.toMatchObject({ code: 'E_REGISTRY_UNAVAILABLE' });
    await store.close();
  });
});
