import { afterEach, describe, expect, it } from 'vitest';
import { RelaydeskError } from '../../../clients/sdk/src/node.js';
import { manualClock, startTestGateway, type TestGateway } from '../gateway-harness.js';
import { nextEvent } from './events.js';
import { rawSocket } from './raw-socket.js';

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function setup(options: Record<string, string> = {}) {
  const clock = manualClock();
  t = await startTestGateway(options, { now: clock });
  const pw = await t.addTechnician('uma', 'acme');
  const tech = t.client();
  await tech.login('uma', pw);
  return { t, clock, tech };
}

describe('sessions end by expiry, idleness, revocation and shutdown, and say why', () => {
  it('a waiting session expires: the customer is told and its PIN stops working', async () => {
    const { t, clock, tech } = await setup({ sessionTtlSeconds: '120' });
    const s = await tech.createSession();
    const customer = await t.client().joinSession({ pin: s.pin }, 'Vic');
    const state = nextEvent(customer, 'state');
    clock.advance(121_000);
    expect(await state).toMatchObject({ state: 'expired' });
    expect(await customer.closedPromise()).toMatchObject({ code: 4410, reason: 'E_SESSION_EXPIRED' });
    const again = await t.client().joinSession({ pin: s.pin }, 'Vic').catch((e: RelaydeskError) => e);
    expect((again as RelaydeskError).code).toBe('E_PIN_INVALID');
    expect(await tech.listWaiting()).toEqual([]);
  });

  it('an unjoined session past its expiry refuses its PIN', async () => {
    const { t, clock, tech } = await setup({ sessionTtlSeconds: '120' });
    const s = await tech.createSession({ ttlSeconds: 60 });
    clock.advance(61_000);
    const late = await t.client().joinSession({ pin: s.pin }, 'Late').catch((e: RelaydeskError) => e);
    expect((late as RelaydeskError).code).toBe('E_PIN_INVALID');
  });

  it('an active session with no traffic is closed after idleTimeoutSeconds, both sides told', async () => {
    const { t, clock, tech } = await setup({ idleTimeoutSeconds: '30' });
    const s = await tech.createSession();
    const customer = await t.client().joinSession({ pin: s.pin }, 'Wes');
    const technician = await tech.pickUp(s.guid);
    await customer.waitFor('active');
    clock.advance(20_000);
    customer.chat('still there?'); // traffic resets the idle timer
    await nextEvent(technician, 'chat');
    clock.advance(20_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(technician.state).toBe('active');
    const state = nextEvent(technician, 'state');
    clock.advance(11_000);
    expect(await state).toMatchObject({ state: 'closed', reason: 'idle_timeout' });
    expect(await customer.closedPromise()).toMatchObject({ code: 4408, reason: 'E_IDLE_TIMEOUT' });
  });

  it('a connection that never says hello is closed', async () => {
    const { t, clock } = await setup();
    const raw = rawSocket(t.baseUrl, '/v1/customer', t.gateway.caPem);
    await raw.opened;
    clock.advance(11_000);
    expect((await raw.closed).reason).toBe('E_BAD_REQUEST');
  });

  it('stop() drains: parties are asked to reconnect, new connections are refused, then the rest is closed', async () => {
    const { t, tech } = await setup();
    const s = await tech.createSession();
    const customer = await t.client().joinSession({ pin: s.pin }, 'Xena');
    const reconnect = nextEvent(customer, 'reconnect');
    const reconnecting = nextEvent(customer, 'reconnecting');
    const stopped = t.gateway.stop(300);
    expect(await reconnect).toBe('gateway_shutdown');
    const ready = await fetch(`http://127.0.0.1:${t.gateway.adminPort}/readyz`).catch(() => null);
    if (ready) expect(ready.status).toBe(503);
    await stopped;
    // The SDK tries to come back (to another gateway, in a cluster); this lone gateway is gone.
    await reconnecting;
    customer.close();
    const after = await t.client().joinSession({ pin: s.pin }, 'Xena').catch((e: Error) => e);
    expect(after).toBeInstanceOf(Error);
  });

  it('a gateway at maxConnections refuses the next connection with E_CAPACITY (503) instead of timing it out', async () => {
    const { t } = await setup({ maxConnections: '2' });
    const first = rawSocket(t.baseUrl, '/v1/customer', t.gateway.caPem);
    const second = rawSocket(t.baseUrl, '/v1/customer', t.gateway.caPem);
    await Promise.all([first.opened, second.opened]);
    const third = rawSocket(t.baseUrl, '/v1/customer', t.gateway.caPem);
    const refused = await third.opened.then(
      () => 'opened',
      (err: Error) => err.message,
    );
    expect(refused).toContain('503');
    first.ws.close();
    second.ws.close();
  });

  it('readyz reports the registry and liveness never depends on it', async () => {
    const { t } = await setup();
    const healthz = await fetch(`http://127.0.0.1:${t.gateway.adminPort}/healthz`);
    const readyz = await fetch(`http://127.0.0.1:${t.gateway.adminPort}/readyz`);
    expect(healthz.status).toBe(200);
    expect(await readyz.json()).toEqual({ ready: true, checks: { registry: true, accepting: true } });
  });
});
