import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { connectRedisRegistry } from '../../src/registry/redis-registry.js';
import { registryContract } from '../../src/registry/registry.cases.js';
import { ask, ownerOf, startRedisCluster, type RedisClusterSet } from './redis-ha-harness.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
let prefixSeq = 0;

// The registry contract on a real 3-primary Redis Cluster: a Lua script or MULTI that names keys in two
// slots fails here with CROSSSLOT, and a key on another primary is only reachable through a MOVED
// redirection, which the one-node cluster in redis-topologies.test.ts can never produce.
describe('RedisRegistry on a 3-primary Redis Cluster', () => {
  let cluster: RedisClusterSet;

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('spreads the keys of many sessions over all three primaries', async () => {
    const prefix = `spread${++prefixSeq}:`;
    const registry = await connectRedisRegistry({ clusterNodes: cluster.seeds, keyPrefix: prefix });
    try {
      const now = Date.now();
      let pin = 500000;
      const created = [];
      for (let i = 0; i < 60; i++) {
        created.push(
          await registry.createSession(
            { guid: randomBytes(16).toString('hex'), orgId: `org-${i % 3}`, createdBy: 't', state: 'waiting', createdAt: now + i, expiresAt: now + 60_000, updatedAt: now },
            () => String(pin++),
          ),
        );
      }
      // Every session is readable back through the redirections, by GUID and by PIN.
      for (const s of created) expect(await registry.findGuidByPin(s.pin)).toBe(s.guid);
      expect((await registry.listWaiting('org-0')).length).toBe(20);

      // The keys really live on all three primaries (a hash tag shared by all keys would put them on one).
      const perNode = await Promise.all(
        cluster.primaries.map(async (p) => {
          let cursor = '0';
          let n = 0;
          do {
            const [next, keys] = (await ask(p.port, 'SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000')) as [string, string[]];
            cursor = next;
            n += keys.length;
          } while (cursor !== '0');
          return n;
        }),
      );
      expect(perNode.every((n) => n >= 20), `keys per primary: ${perNode.join(', ')}`).toBe(true);
      const owners = new Set(await Promise.all(created.map((s) => ownerOf(cluster, `${prefix}s:${s.guid}`))));
      expect(owners.size).toBe(3);
    } finally {
      await registry.close();
    }
  });

  registryContract('redis cluster (3 primaries)', async () => {
    const registry = await connectRedisRegistry({ clusterNodes: cluster.seeds, keyPrefix: `contract${++prefixSeq}:` });
    return { registry, clock: systemClock, advance: sleep, cleanup: () => registry.close() };
  });
});
