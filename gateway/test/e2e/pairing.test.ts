import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Channel, RelaydeskError, type SessionConnection } from '../../../clients/sdk/src/node.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { cutConnection, nextEvent } from './events.js';

let t: TestGateway;
let alicePw: string;
let bobPw: string;
let evePw: string;

beforeAll(async () => {
  t = await startTestGateway({ resumeGraceSeconds: '1' });
  alicePw = await t.addTechnician('alice', 'acme');
  bobPw = await t.addTechnician('bob', 'acme');
  evePw = await t.addTechnician('eve', 'globex');
});
afterAll(() => t.stop());

async function technician(name: string, pw: string) {
  const c = t.client();
  await c.login(name, pw);
  return c;
}

describe('pairing end to end (memory registry, real TLS)', () => {
  it('customer joins by PIN, technician picks up, they chat and exchange data, the customer ends it', async () => {
    const alice = await technician('alice', alicePw);
    const created = await alice.createSession();
    expect(created.guid).toMatch(/^[0-9a-f]{32}$/);
    expect(created.pin).toMatch(/^\d{14}$/);
    expect(created.expiresAt).toBeGreaterThan(Date.now() + 3500_000);

    const customer = await t.client().joinSession({ pin: created.pin }, 'Carol Customer');
    expect(customer.state).toBe('waiting');

    const waiting = await alice.listWaiting();
    expect(waiting.map((w) => [w.guid, w.customerName])).toContainEqual([created.guid, 'Carol Customer']);

    const customerActive = customer.waitFor('active');
    const tech = await alice.pickUp(created.guid);
    expect(tech.state).toBe('active');
    expect((await customerActive)?.technician).toBe('Tech alice');
    expect((await alice.listWaiting()).map((w) => w.guid)).not.toContain(created.guid);

    const chatAtTech = nextEvent(tech, 'chat');
    customer.chat('my printer is on fire');
    expect(await chatAtTech).toMatchObject({ from: 'customer', text: 'my printer is on fire' });
    const chatAtCustomer = nextEvent(customer, 'chat');
    tech.chat('have you tried turning it off');
    expect(await chatAtCustomer).toMatchObject({ from: 'technician', text: 'have you tried turning it off' });

    // Binary messages arrive byte for byte.
    const payload = new Uint8Array(100_000).map((_, i) => (i * 7) & 255);
    const dataAtTech = nextEvent(tech, 'data');
    customer.send(Channel.data, payload);
    const [channel, bytes] = await dataAtTech;
    expect(channel).toBe(Channel.data);
    expect(Buffer.from(bytes).equals(Buffer.from(payload))).toBe(true);

    const techClosed = tech.closedPromise();
    const techState = nextEvent(tech, 'state');
    customer.end();
    expect(await techState).toMatchObject({ state: 'closed', reason: 'customer_ended' });
    expect((await techClosed).code).toBe(1000);
    expect((await alice.getSession(created.guid)).state).toBe('closed');
  });

  it('joins by GUID as well as by PIN, and a used PIN is refused with the same error as a wrong one', async () => {
    const alice = await technician('alice', alicePw);
    const s = await alice.createSession();
    const customer = await t.client().joinSession({ guid: s.guid }, 'Dave');
    const tech = await alice.pickUp(s.guid);
    await customer.waitFor('active');
    const used = await t.client().joinSession({ pin: s.pin }, 'Mallory').catch((e: RelaydeskError) => e);
    const wrong = await t.client().joinSession({ pin: '000000001' }, 'Mallory').catch((e: RelaydeskError) => e);
    expect(used).toBeInstanceOf(RelaydeskError);
    expect((used as RelaydeskError).code).toBe('E_PIN_INVALID');
    expect((wrong as RelaydeskError).code).toBe('E_PIN_INVALID');
    expect((used as RelaydeskError).message).toBe((wrong as RelaydeskError).message);
    tech.end();
    await customer.closedPromise();
  });

  it('a second customer cannot take a PIN that someone already waits on', async () => {
    const alice = await technician('alice', alicePw);
    const s = await alice.createSession();
    const first = await t.client().joinSession({ pin: s.pin }, 'First');
    const second = await t.client().joinSession({ pin: s.pin }, 'Second').catch((e: RelaydeskError) => e);
    expect((second as RelaydeskError).code).toBe('E_PIN_INVALID');
    expect(first.state).toBe('waiting');
    first.close();
  });

  it('many technicians race for one session: exactly one wins, the others get E_SESSION_TAKEN', async () => {
    const alice = await technician('alice', alicePw);
    const bob = await technician('bob', bobPw);
    const s = await alice.createSession();
    const customer = await t.client().joinSession({ pin: s.pin }, 'Erin');
    const racers = Array.from({ length: 12 }, (_, i) => (i % 2 ? alice : bob).pickUp(s.guid));
    const results = await Promise.allSettled(racers);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((r) => (r.reason as RelaydeskError).code)).toEqual(Array(11).fill('E_SESSION_TAKEN'));
    await customer.waitFor('active');
    customer.end();
  });

  it('a technician of another organisation neither sees nor picks up the session', async () => {
    const alice = await technician('alice', alicePw);
    const eve = await technician('eve', evePw);
    const s = await alice.createSession();
    const customer = await t.client().joinSession({ pin: s.pin }, 'Frank');
    expect((await eve.listWaiting()).map((w) => w.guid)).not.toContain(s.guid);
    const pick = await eve.pickUp(s.guid).catch((e: RelaydeskError) => e);
    expect((pick as RelaydeskError).code).toBe('E_SESSION_NOT_FOUND');
    const get = await eve.getSession(s.guid).catch((e: RelaydeskError) => e);
    expect((get as RelaydeskError).status).toBe(404);
    const revoke = await eve.revokeSession(s.guid).catch((e: RelaydeskError) => e);
    expect((revoke as RelaydeskError).code).toBe('E_SESSION_NOT_FOUND');
    expect(customer.state).toBe('waiting');
    customer.close();
  });

  it('a customer who drops mid-session is waited for; if it does not resume, the technician gets E_PEER_GONE', async () => {
    const alice = await technician('alice', alicePw);
    const s = await alice.createSession();
    const customer = await t.client().joinSession({ pin: s.pin }, 'Gina');
    const tech = await alice.pickUp(s.guid);
    const peer = nextEvent(tech, 'peer');
    const state = nextEvent(tech, 'state');
    customer.close(); // gone for good: close() never resumes
    expect((await peer)[0]).toBe('reconnecting');
    expect(await state).toMatchObject({ state: 'closed', reason: 'resume_timeout' });
    expect(await tech.closedPromise()).toMatchObject({ code: 4410, reason: 'E_PEER_GONE' });
  });

  it('a customer who loses its connection before pickup comes back with its resume token; its PIN lets nobody else in', async () => {
    const alice = await technician('alice', alicePw);
    const s = await alice.createSession();
    const first = await t.client().joinSession({ pin: s.pin }, 'Hank');
    const resumed = nextEvent(first, 'resumed');
    cutConnection(first);
    const thief = await t.client().joinSession({ pin: s.pin }, 'Mallory').catch((e: RelaydeskError) => e);
    expect((thief as RelaydeskError).code).toBe('E_PIN_INVALID');
    await resumed;
    expect(first.state).toBe('waiting');
    expect((await alice.listWaiting()).map((w) => w.guid)).toContain(s.guid);
    const tech = await alice.pickUp(s.guid);
    await first.waitFor('active');
    tech.end();
    await first.closedPromise();
  });

  it('the technician can revoke a waiting session; the customer is told', async () => {
    const alice = await technician('alice', alicePw);
    const s = await alice.createSession();
    const customer = await t.client().joinSession({ pin: s.pin }, 'Ivy');
    const state = nextEvent(customer, 'state');
    await alice.revokeSession(s.guid);
    expect(await state).toMatchObject({ state: 'closed', reason: 'revoked' });
    expect((await alice.getSession(s.guid)).state).toBe('closed');
  });

  it('logs every transition without ever writing a PIN, password or token', async () => {
    const alice = await technician('alice', alicePw);
    const s = await alice.createSession();
    const customer = await t.client().joinSession({ pin: s.pin }, 'Jo');
    const tech = await alice.pickUp(s.guid);
    tech.end();
    await customer.closedPromise();
    const log = t.logLines.join('\n');
    const events = t.logLines.map((l) => JSON.parse(l)).filter((e) => e.event === 'session.transition' && e.guid === s.guid);
    expect(events.map((e) => e.to)).toEqual(['created', 'waiting', 'active', 'closed']);
    expect(log).not.toContain(s.pin);
    expect(log).not.toContain(alicePw);
    expect(log).not.toContain(alice.bearerToken!);
  });

  it('exports transitions, pairing latency and relayed bytes as Prometheus metrics', async () => {
    const res = await fetch(`http://127.0.0.1:${t.gateway.adminPort}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toMatch(/relaydesk_session_transitions_total\{[^}]*to="active"[^}]*\} [1-9]/);
    expect(text).toMatch(/relaydesk_pairing_seconds_count\{[^}]*\} [1-9]/);
    expect(text).toMatch(/relaydesk_relayed_bytes_total\{[^}]*channel="data"[^}]*\} [1-9]/);
    const ready = await fetch(`http://127.0.0.1:${t.gateway.adminPort}/readyz`);
    expect(ready.status).toBe(200);
  });
});
