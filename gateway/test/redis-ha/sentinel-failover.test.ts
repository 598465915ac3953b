import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelaydeskError } from '../../../clients/sdk/src/node.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { ask, infoFields, sentinelsSeeReplica, startSentinelSet, waitForReplication, waitUntil, type SentinelSet } from './redis-ha-harness.js';
import { pump } from './relay-pump.js';

let set: SentinelSet;
let t: TestGateway;
let pw: string;

beforeAll(async () => {
  // Two replicas: the first failover promotes one, the planned switch-over then moves to the other.
  set = await startSentinelSet({ replicas: 2 });
  t = await startTestGateway({ registry: 'redis', redisSentinels: set.sentinelList, redisSentinelName: set.name, accountStore: 'file' });
  pw = await t.addTechnician('sally', 'acme');
}, 40_000);
afterAll(async () => {
  await t?.stop();
  await set?.stop();
});

const readyz = async () => (await fetch(`http://127.0.0.1:${t.gateway.adminPort}/readyz`)).status;

describe('a gateway on Redis Sentinel through a primary failover', () => {
  it('keeps paired sessions relaying, fails new work fast while there is no primary, and recovers on the promoted replica', async () => {
    const tech = t.client();
    await tech.login('sally', pw);
    const s = await tech.createSession();
    const customer = await t.client().joinSession({ pin: s.pin }, 'Failover');
    const technician = await tech.pickUp(s.guid);
    await customer.waitFor('active');
    expect(await readyz()).toBe(200);
    const oldPrimary = set.nodes[0]!;
    expect(await set.currentPrimaryPort()).toBe(oldPrimary.port);
    // The token and the session reached both replicas before the crash.
    await waitForReplication(oldPrimary.port, 2);

    const traffic = pump(customer, technician, 25);
    await waitUntil('traffic to flow', async () => traffic.chats.length > 5 && traffic.data.length > 5, 5000);

    const killedAt = Date.now();
    await oldPrimary.kill();

    // New work while Sentinel elects and promotes: every call either works or fails fast with
    // E_REGISTRY_UNAVAILABLE; none hangs, none queues.
    const attempts: { at: number; ms: number; outcome: string }[] = [];
    let saw503 = false;
    let recoveredAt = 0;
    let lastFailureAt = killedAt;
    const deadline = killedAt + 25_000;
    // Probe until 3 s pass without a failure: after the first success the client may reconnect once or twice
    // more, when the other Sentinels publish their own +switch-master (each a ~100 ms blip).
    while (Date.now() < deadline && !(recoveredAt > 0 && Date.now() - lastFailureAt > 3000)) {
      if ((await readyz()) === 503) saw503 = true;
      const started = Date.now();
      const outcome = await tech.createSession().then(
        () => 'ok',
        (err: unknown) => (err instanceof RelaydeskError ? err.code : String(err)),
      );
      attempts.push({ at: started - killedAt, ms: Date.now() - started, outcome });
      if (outcome !== 'ok') lastFailureAt = Date.now();
      else if (recoveredAt === 0 && (await readyz()) === 200) recoveredAt = Date.now();
      await new Promise((r) => setTimeout(r, 100));
    }
    const recoveryMs = recoveredAt - killedAt;
    const stableMs = lastFailureAt - killedAt;
    const failures = attempts.filter((a) => a.outcome !== 'ok');
    const failuresAfterRecovery = failures.filter((a) => a.at > recoveryMs).length;
    console.log(
      `sentinel failover: new sessions work again ${recoveryMs} ms after SIGKILL of the primary, last failure at ${stableMs} ms ` +
        `(${failuresAfterRecovery} after the first success); ${failures.length} of ${attempts.length} attempts failed ` +
        `(slowest ${Math.max(...attempts.map((a) => a.ms))} ms), readyz 503 seen: ${saw503}`,
    );
    expect(recoveredAt, `no recovery within 25 s: ${JSON.stringify(attempts.slice(-5))}`).toBeGreaterThan(0);
    expect(Date.now() - lastFailureAt, 'the registry kept failing').toBeGreaterThan(3000);
    // down-after 1 s + election + promotion + the client's reconnect backoff (at most 1 s): well under 15 s.
    expect(recoveryMs).toBeLessThan(15_000);
    expect(stableMs).toBeLessThan(15_000);
    expect(failures.length).toBeGreaterThan(0);
    expect(new Set(failures.map((a) => a.outcome))).toEqual(new Set(['E_REGISTRY_UNAVAILABLE']));
    // commandTimeoutMs is 500 ms; a call never waits for the failover to finish.
    expect(Math.max(...attempts.map((a) => a.ms))).toBeLessThan(2000);
    expect(saw503).toBe(true);
    expect(set.nodes.slice(1).map((n) => n.port)).toContain(await set.currentPrimaryPort());

    // Pairing works end to end on the promoted primary: create, join, list waiting, pickup.
    const after = await tech.createSession();
    const c2 = await t.client().joinSession({ pin: after.pin }, 'After failover');
    expect((await tech.listWaiting()).map((w) => w.guid)).toContain(after.guid);
    const t2 = await tech.pickUp(after.guid);
    await c2.waitFor('active');
    const hello = new Promise<string>((resolve) => t2.on('chat', (m) => resolve(m.text)));
    c2.chat('hello after failover');
    expect(await hello).toBe('hello after failover');
    // The session paired before the crash is still known (it was replicated before the primary died).
    expect((await tech.getSession(s.guid)).state).toBe('active');

    // The session paired before the failover relayed throughout: every message arrived, in order.
    traffic.stop();
    const sent = traffic.sent;
    await waitUntil('the last relayed messages', async () => traffic.chats.length === sent && traffic.data.length === sent, 5000);
    expect(traffic.chats).toEqual([...Array(sent).keys()]);
    expect(traffic.data).toEqual([...Array(sent).keys()]);
    expect(sent).toBeGreaterThan(recoveryMs / 25 / 2);
    expect(customer.state).toBe('active');
    customer.end();
    c2.end();
  }, 60_000);

  // A planned switch-over (SENTINEL FAILOVER, as before a Redis upgrade): the old primary is demoted to a
  // replica while clients may still be connected to it, and answers writes with READONLY until they move.
  it('follows a planned SENTINEL FAILOVER to the other replica', async () => {
    const currentPort = await set.currentPrimaryPort();
    const current = set.nodes.find((n) => n.port === currentPort)!;
    const next = set.nodes.find((n) => n.running && n.port !== currentPort)!;
    // Sentinel reconfigured the remaining replica to follow the promoted one during the first failover.
    await waitUntil(
      'the other replica to follow the new primary',
      async () => {
        const info = infoFields(await ask(next.port, 'INFO', 'replication'));
        return info.master_port === String(current.port) && info.master_link_status === 'up';
      },
      15_000,
      100,
    );
    await waitUntil('every sentinel to see that replica healthy', () => sentinelsSeeReplica(set, next.port), 15_000, 100);

    const tech = t.client();
    await tech.login('sally', pw);
    const s = await tech.createSession();
    const customer = await t.client().joinSession({ pin: s.pin }, 'Switch-over');
    const technician = await tech.pickUp(s.guid);
    await customer.waitFor('active');
    const traffic = pump(customer, technician, 25);
    // The new login's token and the pairing are on the replica before the switch.
    await waitForReplication(current.port, 1);

    // A replica that has just synced may still be refused (it must report its offset first): retry briefly.
    await waitUntil('SENTINEL FAILOVER to be accepted', async () => (await ask(set.sentinels[0]!.port, 'SENTINEL', 'FAILOVER', set.name)) === 'OK', 10_000, 500);
    const startedAt = Date.now();
    // Sessions created now go wherever the gateway's connection points. The switch-over is complete for
    // the gateway when a new session is on the promoted node: until then it is writing to the demoted
    // one, and Redis drops those writes when that node resyncs as a replica.
    const outcomes = new Map<string, number>();
    let landedAt = 0;
    let tokenLost = 0;
    while (Date.now() < startedAt + 25_000) {
      // Once promoted, the node no longer copies the demoted one: a session found on it was written to it.
      const promoted = infoFields(await ask(next.port, 'INFO', 'replication')).role === 'master';
      const t0 = Date.now();
      const outcome = await tech.createSession().then(
        (created) => created,
        (err: unknown) => (err instanceof RelaydeskError ? err.code : String(err)),
      );
      expect(Date.now() - t0).toBeLessThan(2000);
      const label = typeof outcome === 'string' ? outcome : 'ok';
      outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
      if (outcome === 'E_TOKEN_INVALID') {
        // The token was replicated before the switch (WAIT above), so this would be a lost write: counted and
        // asserted below; log in again to measure the rest.
        tokenLost++;
        await tech.login('sally', pw);
      } else if (promoted && typeof outcome !== 'string' && (await ask(next.port, 'EXISTS', `rd:s:${outcome.guid}`)) === 1) {
        landedAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const landedMs = landedAt - startedAt;
    console.log(
      `sentinel switch-over: new sessions land on the promoted primary ${landedMs} ms after SENTINEL FAILOVER; ` +
        `outcomes meanwhile: ${JSON.stringify(Object.fromEntries(outcomes))}; token lost: ${tokenLost}`,
    );
    expect(landedAt, 'the gateway never wrote to the promoted primary').toBeGreaterThan(0);
    // Sentinel's +switch-master moves the client at once (failoverDetector); without it the gateway keeps
    // writing to the demoted primary for ~10 s, until Sentinel reconfigures that node, and those writes are lost.
    expect(landedMs).toBeLessThan(5000);
    expect([...outcomes.keys()].every((o) => ['ok', 'E_REGISTRY_UNAVAILABLE', 'E_TOKEN_INVALID'].includes(o))).toBe(true);
    expect(tokenLost, 'a token written before the switch-over was missing after it').toBe(0);
    expect(infoFields(await ask(next.port, 'INFO', 'replication')).role).toBe('master');

    // The pairing made before the switch-over relayed throughout, every message in order.
    traffic.stop();
    const sent = traffic.sent;
    await waitUntil('the last relayed messages', async () => traffic.chats.length === sent && traffic.data.length === sent, 5000);
    expect(traffic.chats).toEqual([...Array(sent).keys()]);
    expect(traffic.data).toEqual([...Array(sent).keys()]);
    expect(customer.state).toBe('active');
    customer.end();
  }, 60_000);
});
