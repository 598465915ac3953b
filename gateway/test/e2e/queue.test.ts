import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock, startTestGateway, type TestGateway } from '../gateway-harness.js';
import { startRedisServer, type RedisServer } from '../redis-server.js';
import { eventually } from './events.js';
import { rawSocket } from './raw-socket.js';

/** A console's view of `/v1/queue`: subscribes with `token` and keeps every snapshot. */
function queueWatcher(t: TestGateway, token: string) {
  const raw = rawSocket(t.baseUrl, '/v1/queue', t.gateway.caPem);
  void raw.opened.then(() => raw.ws.send(JSON.stringify({ v: 1, type: 'subscribe', token })));
  const snapshots = () =>
    raw.frames.map((f) => JSON.parse(f)).filter((m) => m.type === 'queue') as { at: number; total: number; sessions: { guid: string; customerName: string; waitingSince: number }[] }[];
  const names = () => snapshots().at(-1)?.sessions.map((s) => s.customerName);
  return { ...raw, snapshots, names };
}

describe('live queue on the memory registry', () => {
  // Time moves only when a test says so (token expiry below); the queue itself is driven by events.
  const clock = manualClock();
  let t: TestGateway;
  let pw: string;
  let globexPw: string;
  let tessPw: string;
  beforeAll(async () => {
    t = await startTestGateway({}, { now: clock });
    pw = await t.addTechnician('quinn', 'acme');
    tessPw = await t.addTechnician('tess', 'acme');
    globexPw = await t.addTechnician('other2', 'globex');
  });
  afterAll(() => t?.stop());

  it('pushes the organisation’s waiting customers on every change, to every subscriber, and nothing of other organisations', async () => {
    const tech = t.client();
    await tech.login('quinn', pw);
    const a = queueWatcher(t, tech.bearerToken!);
    const b = queueWatcher(t, tech.bearerToken!);
    expect(await eventually(() => a.names()?.length === 0 && b.names()?.length === 0)).toBe(true);

    const s1 = await tech.createSession();
    clock.advance(1000); // the queue is oldest first: Dave's session and arrival come a second after Carol's
    const s2 = await tech.createSession();
    const carol = await t.client().joinSession({ pin: s1.pin }, 'Carol');
    expect(await eventually(() => a.names()?.join() === 'Carol' && b.names()?.join() === 'Carol')).toBe(true);
    clock.advance(1000);
    const dave = await t.client().joinSession({ pin: s2.pin }, 'Dave');
    expect(await eventually(() => a.names()?.join() === 'Carol,Dave')).toBe(true);
    const last = a.snapshots().at(-1)!;
    expect(last.total).toBe(2);
    expect(last.at).toBe(clock()); // the gateway's clock, not the console's

    // Another organisation's customer never shows up.
    const globex = t.client();
    await globex.login('other2', globexPw);
    const g = await globex.createSession();
    const eve = await t.client().joinSession({ pin: g.pin }, 'Eve');

    const paired = await tech.pickUp(s1.guid);
    expect(await eventually(() => a.names()?.join() === 'Dave')).toBe(true);
    dave.end(); // a waiting customer who only lost its connection stays in the queue for resumeGraceSeconds
    expect(await eventually(() => a.names()?.join() === '' && b.names()?.join() === '')).toBe(true);
    expect(a.snapshots().some((s) => s.sessions.some((e) => e.customerName === 'Eve'))).toBe(false);
    // Unchanged queues are not re-sent: one snapshot per change (empty, Carol, Carol+Dave, Dave, empty).
    expect(a.snapshots().length).toBe(5);
    paired.end();
    await carol.closedPromise();
    eve.end();
    a.ws.close();
    b.ws.close();
  });

  it('refuses a bad token (E_TOKEN_INVALID, 4401) and a malformed first message (E_BAD_MESSAGE, 4400)', async () => {
    const bad = queueWatcher(t, 'not-a-token');
    expect(await bad.closed).toEqual({ code: 4401, reason: 'E_TOKEN_INVALID' });
    expect(bad.errors()[0]!.code).toBe('E_TOKEN_INVALID');

    const raw = rawSocket(t.baseUrl, '/v1/queue', t.gateway.caPem);
    await raw.opened;
    raw.ws.send('{not json');
    expect(await raw.closed).toEqual({ code: 4400, reason: 'E_BAD_MESSAGE' });

    const wrongType = rawSocket(t.baseUrl, '/v1/queue', t.gateway.caPem);
    await wrongType.opened;
    wrongType.ws.send(JSON.stringify({ v: 1, type: 'pickup', token: 'x', guid: 'y' }));
    expect((await wrongType.closed).code).toBe(4400);
    expect(wrongType.errors()[0]!.message).toMatch(/subscribe/);
  });

  it('ends the subscription when the technician logs out, and when the token dies of inactivity (tokens are re-checked, not used)', async () => {
    const [one, two] = [t.client(), t.client()];
    await one.login('tess', tessPw);
    await two.login('tess', tessPw);
    const loggedOut = queueWatcher(t, one.bearerToken!);
    const expiring = queueWatcher(t, two.bearerToken!);
    expect(await eventually(() => loggedOut.snapshots().length === 1 && expiring.snapshots().length === 1)).toBe(true);
    await one.logout();
    clock.advance(31_000); // past the 30 s re-check; the gateway's ticker runs once a second
    expect(await loggedOut.closed).toEqual({ code: 4401, reason: 'E_TOKEN_INVALID' });
    expect(expiring.ws.readyState).toBe(expiring.ws.OPEN);
    // Watching the queue is not activity: its re-checks do not keep the token alive past tokenIdleMinutes (30).
    for (let step = 0; step < 4 && expiring.ws.readyState === expiring.ws.OPEN; step++) {
      clock.advance(10 * 60_000);
      await new Promise((r) => setTimeout(r, 1300)); // a tick of the gateway's ticker re-checks
    }
    expect(await expiring.closed).toEqual({ code: 4401, reason: 'E_TOKEN_INVALID' });
  });
});

describe('live queue across a cluster (Redis)', () => {
  let redis: RedisServer;
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    redis = await startRedisServer();
    a = await startTestGateway({ registry: 'redis', redisUrl: redis.url });
    b = await startTestGateway({ registry: 'redis', redisUrl: redis.url });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });

  it('a customer waiting on gateway B appears for a console subscribed on gateway A', async () => {
    const pw = await a.addTechnician('rosa', 'acme');
    const tech = a.client();
    await tech.login('rosa', pw);
    const w = queueWatcher(a, tech.bearerToken!);
    expect(await eventually(() => w.names()?.length === 0)).toBe(true);
    const s = await tech.createSession();
    const customer = await b.client().joinSession({ pin: s.pin }, 'Faye');
    expect(await eventually(() => w.names()?.join() === 'Faye', 5000)).toBe(true);
    customer.end();
    expect(await eventually(() => w.names()?.length === 0, 5000)).toBe(true);
    w.ws.close();
  });
});
