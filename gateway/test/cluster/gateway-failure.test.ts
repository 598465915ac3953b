import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionConnection } from '../../../clients/sdk/src/node.js';
import type { GatewayProcess } from '../gateway-process.js';
import { collect, eventually, nextEvent, sleep } from '../e2e/events.js';
import { startClusterFixture } from './cluster-fixture.js';

let cluster: Awaited<ReturnType<typeof startClusterFixture>>;
let pw: string;

beforeAll(async () => {
  cluster = await startClusterFixture();
  pw = await cluster.addTechnician('kim', 'acme');
}, 60_000);
afterAll(() => cluster?.stop(), 30_000);

/** Customer and technician both on `home` (able to fail over to `spare`), chatting; returns the chat logs. */
async function sessionOn(home: GatewayProcess, spare: GatewayProcess) {
  const tech = cluster.client(home, [spare]);
  await tech.login('kim', pw);
  const s = await tech.createSession();
  const customer = await cluster.client(home, [spare]).joinSession({ pin: s.pin }, 'Crash test');
  const technician = await tech.pickUp(s.guid);
  await customer.waitFor('active');
  customer.grant('view');
  await nextEvent(technician, 'grants');
  return { customer, technician, atTech: collect(technician, 'chat'), atCustomer: collect(customer, 'chat') };
}

/** Both sides keep chatting every 20 ms for `ms`, through whatever happens meanwhile; returns what each sent. */
async function chatter(customer: SessionConnection, technician: SessionConnection, ms: number, tag: string) {
  const sent = { customer: [] as string[], technician: [] as string[] };
  for (let i = 0, end = Date.now() + ms; Date.now() < end; i++) {
    const c = `${tag} customer ${i}`;
    const t = `${tag} technician ${i}`;
    customer.chat(c);
    technician.chat(t);
    sent.customer.push(c);
    sent.technician.push(t);
    await sleep(20);
  }
  return sent;
}

describe('real gateway processes on one Redis: a gateway dies or drains mid-session', () => {
  it('SIGKILL: both parties resume on another gateway within 5 s; no chat lost or duplicated; the screen is resynchronised', async () => {
    const a = await cluster.start('gw-kill-a', ['--resume-grace-seconds', '15']);
    const b = await cluster.start('gw-kill-b', ['--resume-grace-seconds', '15']);
    const { customer, technician, atTech, atCustomer } = await sessionOn(a, b);
    const resync = nextEvent(customer, 'resync');
    const resumedBoth = Promise.all([nextEvent(customer, 'resumed'), nextEvent(technician, 'resumed')]);

    const talking = chatter(customer, technician, 1500, 'kill');
    await sleep(300);
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await resumedBoth;
    await resync;
    const recoveredMs = Date.now() - killedAt;
    const sent = await talking;

    expect(recoveredMs).toBeLessThan(5000);
    expect(await eventually(() => atTech.length === sent.customer.length && atCustomer.length === sent.technician.length, 5000)).toBe(true);
    await sleep(300);
    expect(atTech.map(([m]) => m.text)).toEqual(sent.customer);
    expect(atCustomer.map(([m]) => m.text)).toEqual(sent.technician);
    // The grant lived in the registry, so consent carried over to the new gateway.
    expect(customer.grants).toEqual(['view']);
    console.log(`gateway SIGKILL: session resumed on another gateway in ${recoveredMs} ms`);
    // The dead gateway leaves the list clients choose from once its heartbeat lapses (5 s TTL).
    const listed = async () => (await cluster.client(b).call<{ gateways: { id: string }[] }>('GET', '/v1/gateways')).gateways.map((g) => g.id);
    expect(await eventually(async () => !(await listed()).includes('gw-kill-a'), 8000)).toBe(true);
    expect(await listed()).toContain('gw-kill-b');
    customer.end();
    await technician.closedPromise();
  });

  it('SIGTERM: the gateway drains and the session moves to another one with only a pause', async () => {
    const a = await cluster.start('gw-drain-a');
    const b = await cluster.start('gw-drain-b');
    const { customer, technician, atTech, atCustomer } = await sessionOn(a, b);
    const reconnect = nextEvent(customer, 'reconnect');
    const resumedBoth = Promise.all([nextEvent(customer, 'resumed'), nextEvent(technician, 'resumed')]);
    const talking = chatter(customer, technician, 1500, 'drain');
    await sleep(300);
    a.child.kill('SIGTERM');
    expect(await reconnect).toBe('gateway_shutdown');
    await resumedBoth;
    const sent = await talking;
    expect(await eventually(() => atTech.length === sent.customer.length && atCustomer.length === sent.technician.length, 5000)).toBe(true);
    await sleep(300);
    expect(atTech.map(([m]) => m.text)).toEqual(sent.customer);
    expect(atCustomer.map(([m]) => m.text)).toEqual(sent.technician);
    expect(await a.exited).toBe(0);
    expect(customer.state).toBe('active');
    customer.end();
  });

  it('a customer waiting on a gateway that dies joins again elsewhere with its PIN, and is picked up there', async () => {
    const a = await cluster.start('gw-wait-a');
    const b = await cluster.start('gw-wait-b');
    const tech = cluster.client(b);
    await tech.login('kim', pw);
    const s = await tech.createSession();
    const customer = await cluster.client(a, [b]).joinSession({ pin: s.pin }, 'Patient');
    const resumed = nextEvent(customer, 'resumed');
    a.child.kill('SIGKILL');
    await resumed;
    expect(customer.state).toBe('waiting');
    expect((await tech.listWaiting()).map((w) => w.guid)).toContain(s.guid);
    const technician = await tech.pickUp(s.guid);
    await customer.waitFor('active');
    const chat = nextEvent(technician, 'chat');
    customer.chat('still here');
    expect((await chat).text).toBe('still here');
    customer.end();
  });
});
