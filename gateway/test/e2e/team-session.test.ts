import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Channel, type ParticipantsEvent, type RelaydeskClient, type SessionConnection } from '../../../clients/sdk/src/node.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { eventually, nextEvent } from './events.js';
import { rawSocket } from './raw-socket.js';

let t: TestGateway;
const pw: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestGateway();
  for (const name of ['ann', 'ben', 'cat', 'dan']) pw[name] = await t.addTechnician(name, 'acme');
  pw.eve = await t.addTechnician('eve', 'other-org');
});
afterAll(() => t.stop());

async function loggedIn(name: string): Promise<RelaydeskClient> {
  const c = t.client();
  await c.login(name, pw[name]!);
  return c;
}

/** The latest participants list each connection saw. */
function roster(conn: SessionConnection): { last: ParticipantsEvent | null } {
  const seen: { last: ParticipantsEvent | null } = { last: null };
  conn.on('participants', (e) => (seen.last = e));
  return seen;
}

const names = (e: ParticipantsEvent | null) => e?.list.map((p) => `${p.id}:${p.role}:${p.name}`).sort();

describe('a session with one customer and several technicians', () => {
  it('three technicians: the customer always knows who is there; control is passed twice; one leaves and the session goes on', async () => {
    const ann = await loggedIn('ann');
    const s = await ann.createSession();
    const customer = await t.client().joinSession({ pin: s.pin }, 'Carol');
    const customerSees = roster(customer);
    const annConn = await ann.pickUp(s.guid);
    await customer.waitFor('active');
    const ben = await (await loggedIn('ben')).attend(s.guid);
    const cat = await (await loggedIn('cat')).attend(s.guid);
    expect(await eventually(() => customerSees.last?.list.length === 4)).toBe(true);
    expect(names(customerSees.last)).toEqual(['c1:customer:Carol', 't1:technician:Tech ann', 't2:technician:Tech ben', 't3:technician:Tech cat']);
    expect(customerSees.last!.controller).toBe('t1'); // the technician who picked up holds control first
    expect([annConn.you, ben.you, cat.you]).toEqual(['t1', 't2', 't3']);

    // Chat reaches everyone else, with who said it.
    const atBen = nextEvent(ben, 'chat');
    const atCustomer = nextEvent(customer, 'chat');
    cat.chat('hello from cat');
    expect(await atBen).toMatchObject({ from: 'technician', fromId: 't3', name: 'Tech cat', text: 'hello from cat' });
    expect(await atCustomer).toMatchObject({ fromId: 't3', text: 'hello from cat' });

    // Input reaches the customer only from the controller, and only with the grant.
    customer.grant('control');
    await eventually(() => ben.grants.includes('control'));
    const inputs: number[] = [];
    customer.on('data', (channel, payload) => channel === Channel.input && inputs.push(payload[0]!));
    const refused = nextEvent(ben, 'error');
    ben.send(Channel.input, new Uint8Array([2]));
    expect((await refused).code).toBe('E_NOT_CONTROLLER');
    annConn.send(Channel.input, new Uint8Array([1]));
    expect(await eventually(() => inputs.includes(1))).toBe(true);

    // Control passed twice: ann → ben, then ben → cat. Only the holder may pass it.
    const denied = nextEvent(cat, 'error');
    cat.pass('t2');
    expect((await denied).code).toBe('E_NOT_CONTROLLER');
    annConn.pass('t2');
    expect(await eventually(() => customerSees.last?.controller === 't2')).toBe(true);
    // Another technician has control now: the customer decides again (the default policy resets control on a transfer).
    expect(await eventually(() => !customer.grants.includes('control') && ben.grants.length === 0)).toBe(true);
    customer.grant('control');
    expect(await eventually(() => ben.grants.includes('control'))).toBe(true);
    ben.send(Channel.input, new Uint8Array([2]));
    expect(await eventually(() => inputs.includes(2))).toBe(true);
    ben.pass('t3');
    expect(await eventually(() => customerSees.last?.controller === 't3' && ben.controller === 't3')).toBe(true);
    expect(await eventually(() => !cat.grants.includes('control'))).toBe(true);
    customer.grant('control');
    expect(await eventually(() => cat.grants.includes('control'))).toBe(true);
    const nowRefused = nextEvent(ben, 'error');
    ben.send(Channel.input, new Uint8Array([9]));
    expect((await nowRefused).code).toBe('E_NOT_CONTROLLER');
    cat.send(Channel.input, new Uint8Array([3]));
    expect(await eventually(() => inputs.includes(3))).toBe(true);
    expect(inputs).toEqual([1, 2, 3]);

    // Ben leaves: everyone is told, the session goes on for the rest.
    ben.leave();
    expect(await eventually(() => customerSees.last?.list.length === 3)).toBe(true);
    expect(names(customerSees.last)).toEqual(['c1:customer:Carol', 't1:technician:Tech ann', 't3:technician:Tech cat']);
    expect(customer.state).toBe('active');
    const stillThere = nextEvent(annConn, 'chat');
    customer.chat('still here');
    expect((await stillThere).text).toBe('still here');

    // The controller leaving hands control to the technician who has been there longest.
    cat.leave();
    expect(await eventually(() => customerSees.last?.list.length === 2 && customerSees.last.controller === 't1')).toBe(true);

    // The customer ends it for everyone.
    customer.end();
    expect(await annConn.closedPromise()).toMatchObject({ code: 1000 });
  });

  it('attending needs an active session of your own organisation', async () => {
    const ann = await loggedIn('ann');
    const s = await ann.createSession();
    const early = await (await loggedIn('dan')).attend(s.guid).catch((e: { code: string }) => e);
    expect((early as { code: string }).code).toBe('E_SESSION_NOT_ACTIVE');
    const customer = await t.client().joinSession({ pin: s.pin }, 'Dora');
    await ann.pickUp(s.guid);
    await customer.waitFor('active');
    const stranger = await (await loggedIn('eve')).attend(s.guid).catch((e: { code: string }) => e);
    expect((stranger as { code: string }).code).toBe('E_SESSION_NOT_FOUND');
    customer.end();
  });

  it('logging out ends the technician’s part in its sessions at once, and its resume token stops working', async () => {
    const ann = await loggedIn('ann');
    const dan = await loggedIn('dan');
    const s = await ann.createSession();
    const customer = await t.client().joinSession({ pin: s.pin }, 'Erin');
    const customerSees = roster(customer);
    const annConn = await ann.pickUp(s.guid);
    await customer.waitFor('active');
    const danConn = await dan.attend(s.guid);
    expect(await eventually(() => customerSees.last?.list.length === 3)).toBe(true);
    const danResumeToken = (danConn as unknown as { resumeToken: string }).resumeToken;
    await dan.logout();
    expect(await danConn.closedPromise()).toMatchObject({ code: 4401, reason: 'E_TOKEN_INVALID' });
    expect(await eventually(() => customerSees.last?.list.length === 2)).toBe(true);
    // Whoever holds dan's resume token cannot bring dan back.
    const thief = rawSocket(t.baseUrl, '/v1/technician', t.gateway.caPem);
    await thief.opened;
    thief.ws.send(JSON.stringify({ v: 1, type: 'resume', guid: s.guid, token: danResumeToken }));
    expect((await thief.closed).reason).toBe('E_SESSION_NOT_FOUND');
    expect(customer.state).toBe('active');
    expect(annConn.state).toBe('active');
    customer.end();
  });
});
