import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../test/redis-server.js';
import { redisStoreHarness } from '../../test/redis-store-harness.js';
import { runOrgStoreCases } from './org-store.cases.js';
import { RedisOrgStore } from './redis-org-store.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

runOrgStoreCases('redis', redisStoreHarness(() => server, 'orgtest', (redis, keyPrefix) => new RedisOrgStore({ redis, keyPrefix })));

it('keeps organisations without a TTL and answers E_REGISTRY_UNAVAILABLE when Redis is gone', async () => {
  const redis = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  const store = new RedisOrgStore({ redis, keyPrefix: 'orgttl:' });
  await store.update('acme', () => {}, 1);
  expect(await redis.pttl('orgttl:org:{orgs}')).toBe(-1);
  redis.disconnect();
  await expect(store.get('acme')).rejects.toMatchObject({ code: 'E_REGISTRY_UNAVAILABLE' });
});
