import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelaydeskError } from '../../../clients/sdk/src/node.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { startRedisCluster, type RedisClusterSet } from './redis-ha-harness.js';

let cluster: RedisClusterSet;
let t: TestGateway;
const passwords = new Map<string, string>();

beforeAll(async () => {
  cluster = await startRedisCluster();
  t = await startTestGateway({ registry: 'redis', redisClusterNodes: cluster.seedList, accountStore: 'file' });
  for (const name of ['cleo', 'cody', 'cate', 'carl']) passwords.set(name, await t.addTechnician(name, 'acme'));
}, 40_000);
afterAll(async () => {
  await t?.stop();
  await cluster?.stop();
});

describe('a gateway on a 3-primary Redis Cluster', () => {
  it('pairs end to end: create, join, list waiting, and of several racing technicians exactly one picks up', async () => {
    const techs = await Promise.all(
      [...passwords].map(async ([name, pw]) => {
        const c = t.client();
        await c.login(name, pw);
        return c;
      }),
    );
    expect((await fetch(`http://127.0.0.1:${t.gateway.adminPort}/readyz`)).status).toBe(200);
    // Several rounds, so the session, PIN and waiting-index keys land in different slots on different primaries.
    for (let round = 0; round < 4; round++) {
      const s = await techs[round % techs.length]!.createSession();
      const customer = await t.client().joinSession({ pin: s.pin }, `Cluster ${round}`);
      const waiting = await techs[0]!.listWaiting();
      expect(waiting.map((w) => w.guid)).toContain(s.guid);
      expect(waiting.find((w) => w.guid === s.guid)?.customerName).toBe(`Cluster ${round}`);

      const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => techs[i % techs.length]!.pickUp(s.guid)));
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as RelaydeskError).code] : []));
      expect(won).toHaveLength(1);
      expect(codes).toEqual(Array(11).fill('E_SESSION_TAKEN'));
      await customer.waitFor('active');
      expect((await techs[0]!.listWaiting()).map((w) => w.guid)).not.toContain(s.guid);

      const chat = new Promise<string>((resolve) => won[0]!.on('chat', (m) => resolve(m.text)));
      customer.chat(`round ${round}`);
      expect(await chat).toBe(`round ${round}`);
      customer.end();
      await customer.closedPromise();
    }
  });
});
