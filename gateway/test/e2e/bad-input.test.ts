import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Channel, RelaydeskError } from '../../../clients/sdk/src/node.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { eventually, nextEvent } from './events.js';
import { rawSocket } from './raw-socket.js';

let t: TestGateway;
let pw: string;

beforeAll(async () => {
  t = await startTestGateway({ maxMessageBytes: String(64 * 1024), maxFailedLogins: '3', pinGuessesPerAddress: '8' });
  pw = await t.addTechnician('tina', 'acme');
  await t.addTechnician('lockme', 'acme');
});
afterAll(() => t.stop());

async function pairedSession() {
  const tech = t.client();
  await tech.login('tina', pw);
  const s = await tech.createSession();
  const customer = await t.client().joinSession({ pin: s.pin }, 'Casey');
  const technician = await tech.pickUp(s.guid);
  await customer.waitFor('active');
  return { customer, technician };
}

describe('bad input gets a clear error and loses nothing', () => {
  it.each([
    ['not JSON', '{nope', 'E_BAD_MESSAGE'],
    ['a JSON array', '[1,2]', 'E_BAD_MESSAGE'],
    ['an unknown type', '{"v":1,"type":"teleport"}', 'E_UNKNOWN_TYPE'],
    ['a future version', '{"v":99,"type":"join","pin":"123456789","name":"x"}', 'E_UNSUPPORTED_VERSION'],
    ['a join without pin or guid', '{"v":1,"type":"join","name":"x"}', 'E_BAD_MESSAGE'],
    ['a join with a malformed PIN', '{"v":1,"type":"join","pin":"12ab","name":"x"}', 'E_BAD_MESSAGE'],
    ['a pickup on the customer endpoint', '{"v":1,"type":"pickup","token":"x","guid":"00000000000000000000000000000000"}', 'E_BAD_MESSAGE'],
  ])('a first message that is %s closes the connection with %s', async (_what, text, code) => {
    const raw = rawSocket(t.baseUrl, '/v1/customer', t.gateway.caPem);
    await raw.opened;
    raw.ws.send(text);
    const closed = await raw.closed;
    expect(raw.errors().map((e) => e.code)).toEqual([code]);
    expect(closed.reason).toBe(code);
    expect(closed.code).toBeGreaterThanOrEqual(4000);
  });

  it('a binary first message is refused', async () => {
    const raw = rawSocket(t.baseUrl, '/v1/customer', t.gateway.caPem);
    await raw.opened;
    raw.ws.send(Buffer.from([1, 2, 3]));
    await eventually(() => raw.errors().length > 0);
    expect(raw.errors()[0]?.code).toBe('E_BAD_MESSAGE');
    raw.ws.close();
  });

  it('a pickup with a bad token is refused with E_TOKEN_INVALID', async () => {
    const raw = rawSocket(t.baseUrl, '/v1/technician', t.gateway.caPem);
    await raw.opened;
    raw.ws.send(JSON.stringify({ v: 1, type: 'pickup', token: 'forged-token', guid: '0123456789abcdef0123456789abcdef' }));
    const closed = await raw.closed;
    expect(closed).toMatchObject({ code: 4401, reason: 'E_TOKEN_INVALID' });
  });

  it('while paired, malformed messages and unknown channels get an error frame and the session goes on', async () => {
    const { customer, technician } = await pairedSession();
    const errors: string[] = [];
    customer.on('error', (e) => errors.push(e.code));
    customer.sendText('{oops');
    customer.sendText('{"v":1,"type":"warp"}');
    customer.sendRaw(new Uint8Array([0x7f, 1, 2, 3]));
    customer.sendRaw(new Uint8Array(0));
    expect(await eventually(() => errors.length === 4)).toBe(true);
    expect(errors).toEqual(['E_BAD_MESSAGE', 'E_UNKNOWN_TYPE', 'E_BAD_MESSAGE', 'E_BAD_MESSAGE']);
    const chat = nextEvent(technician, 'chat');
    customer.chat('still here');
    expect((await chat).text).toBe('still here');
    customer.end();
  });

  it('a message over maxMessageBytes closes the sender with E_MESSAGE_TOO_LARGE and tells the other side', async () => {
    const { customer, technician } = await pairedSession();
    const state = nextEvent(technician, 'state');
    customer.send(Channel.data, new Uint8Array(64 * 1024 + 10));
    expect(await customer.closedPromise()).toEqual({ code: 4413, reason: 'E_MESSAGE_TOO_LARGE' });
    // Breaking the protocol ends the session (no resume), and the technician is told why.
    expect(await state).toMatchObject({ state: 'closed', reason: 'protocol_error' });
  });

  it('a customer may not send on the technician-only input channel', async () => {
    const { customer, technician } = await pairedSession();
    const err = nextEvent(customer, 'error');
    customer.send(Channel.input, new Uint8Array([1]));
    expect((await err).code).toBe('E_FORBIDDEN');
    technician.end();
  });

  it('wrong PINs are rate-limited per source address, and then even a right PIN is refused', async () => {
    const tech = t.client();
    await tech.login('tina', pw);
    const s = await tech.createSession();
    // A separate source address, so other tests' connections are not limited.
    const guesser = t.client({ localAddress: '127.0.0.77' });
    const codes: string[] = [];
    for (let i = 0; i < 9; i++) {
      const e = await guesser.joinSession({ pin: String(100000000 + i) }, 'guess').catch((err: RelaydeskError) => err);
      codes.push((e as RelaydeskError).code);
    }
    expect(codes.slice(0, 8)).toEqual(Array(8).fill('E_PIN_INVALID'));
    expect(codes[8]).toBe('E_RATE_LIMITED');
    const right = await guesser.joinSession({ pin: s.pin }, 'guess').catch((err: RelaydeskError) => err);
    expect((right as RelaydeskError).code).toBe('E_RATE_LIMITED');
    // Another address is unaffected.
    const honest = await t.client({ localAddress: '127.0.0.78' }).joinSession({ pin: s.pin }, 'honest');
    expect(honest.state).toBe('waiting');
    honest.close();
  });

  it('an account locks after maxFailedLogins and a wrong user answers exactly like a wrong password', async () => {
    const c = t.client({ localAddress: '127.0.0.90' });
    const attempt = (u: string, p: string) => c.login(u, p).catch((e: RelaydeskError) => e);
    const unknown = (await attempt('nobody-here', 'x')) as RelaydeskError;
    const wrong = (await attempt('lockme', 'wrong')) as RelaydeskError;
    expect([unknown.code, unknown.status, unknown.message]).toEqual([wrong.code, wrong.status, wrong.message]);
    expect(wrong.code).toBe('E_AUTH_FAILED');
    await attempt('lockme', 'wrong');
    await attempt('lockme', 'wrong');
    const locked = (await attempt('lockme', 'wrong')) as RelaydeskError;
    expect([locked.code, locked.status]).toEqual(['E_ACCOUNT_LOCKED', 423]);
  });

  it('oversized and malformed API bodies get 413 and 400', async () => {
    const tooBig = await fetchJson('/v1/auth/login', 'x'.repeat(70 * 1024));
    expect(tooBig.status).toBe(413);
    const bad = await fetchJson('/v1/auth/login', '{not json');
    expect(bad.status).toBe(400);
    const missing = await fetchJson('/v1/auth/login', '{"username":"tina"}');
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain('password');
    const nowhere = await t.client().call('GET', '/v1/nowhere').catch((e: RelaydeskError) => e);
    expect((nowhere as RelaydeskError).status).toBe(404);
    const noToken = await t.client().createSession().catch((e: RelaydeskError) => e);
    expect((noToken as RelaydeskError).code).toBe('E_TOKEN_INVALID');
  });
});

async function fetchJson(path: string, body: string) {
  const https = await import('node:https');
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const req = https.request(t.baseUrl + path, { method: 'POST', ca: t.gateway.caPem, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
