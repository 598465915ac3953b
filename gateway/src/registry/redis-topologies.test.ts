import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import { startRedisServer, type RedisServer } from '../../test/redis-server.js';
import { connectRedisRegistry } from './redis-registry.js';
import { registryContract } from './registry.cases.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
let prefixSeq = 0;

// Sentinel and Cluster wiring, at the smallest size that exercises it: one Sentinel, and a one-node
// cluster (which still refuses any command spanning hash slots with CROSSSLOT, so the whole contract
// running there shows every atomic operation stays within one slot).
describe('RedisRegistry through Sentinel and Cluster', () => {
  let primary: RedisServer;
  let sentinel: RedisServer;
  let clusterNode: RedisServer;

  beforeAll(async () => {
    primary = await startRedisServer();
    sentinel = await startRedisServer({
      sentinel: true,
      args: ['--sentinel', 'monitor', 'mymaster', primary.host, String(primary.port), '1'],
    });
    clusterNode = await startRedisServer({
      // A lone node never learns its own address from a peer; without announcing one, CLUSTER SLOTS
      // lists no node for the slots and a client cannot route.
      args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-announce-ip', '127.0.0.1'],
    });
    const admin = new Redis(clusterNode.url);
    await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    for (let i = 0; !String(await admin.call('CLUSTER', 'INFO')).includes('cluster_state:ok'); i++) {
      if (i > 200) throw new Error('one-node cluster did not become ok');
      await sleep(10);
    }
    admin.disconnect();
  });
  afterAll(async () => {
    await Promise.all([sentinel?.stop(), primary?.stop(), clusterNode?.stop()]);
  });

  it('finds the primary through Sentinel', async () => {
    const registry = await connectRedisRegistry({
      sentinels: [{ host: sentinel.host, port: sentinel.port }],
      sentinelName: 'mymaster',
      keyPrefix: `sentinel${++prefixSeq}:`,
    });
    try {
      expect(registry.address).toBe(`sentinels ${sentinel.host}:${sentinel.port} (master mymaster)`);
      const now = Date.now();
      const created = await registry.createSession(
        { guid: 'a'.repeat(32), orgId: 'o', createdBy: 't', state: 'waiting', createdAt: now, expiresAt: now + 60_000, updatedAt: now },
        () => '424242',
      );
      expect(await registry.findGuidByPin('424242')).toBe(created.guid);
      const direct = new Redis(primary.url);
      expect(await direct.exists(`sentinel${prefixSeq}:s:${created.guid}`)).toBe(1);
      direct.disconnect();
    } finally {
      await registry.close();
    }
  });

  registryContract('redis cluster (one node)', async () => {
    const registry = await connectRedisRegistry({
      clusterNodes: [{ host: clusterNode.host, port: clusterNode.port }],
      keyPrefix: `cluster${++prefixSeq}:`,
    });
    return { registry, clock: systemClock, advance: sleep, cleanup: () => registry.close() };
  });
});

