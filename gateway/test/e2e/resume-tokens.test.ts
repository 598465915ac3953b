import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelaydeskClient, nodeTransport, type SessionConnection } from '../../../clients/sdk/src/node.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { cutConnection, nextEvent } from './events.js';

let t: TestGateway;
let pw: string;

beforeAll(async () => {
  t = await startTestGateway();
  pw = await t.addTechnician('rita', 'acme');
});
afterAll(() => t.stop());

/** A paired session whose customer does not resume by itself (the test plays the customer's comeback). */
async function paired() {
  const tc = t.client();
  await tc.login('rita', pw);
  const s = await tc.createSession();
  const noResume = new RelaydeskClient(nodeTransport({ baseUrl: t.baseUrl, ca: t.gateway.caPem }), { reconnect: { enabled: false } });
  const customer = await noResume.joinSession({ pin: s.pin }, 'Sam');
  const tech = await tc.pickUp(s.guid);
  await customer.waitFor('active');
  return { guid: s.guid, customer, tech };
}

const tokenOf = (conn: SessionConnection) => (conn as unknown as { resumeToken: string }).resumeToken;

/** Sends `resume` from a fresh socket (optionally from another loopback address); resolves with the first answer or the close. */
function resumeFrom(guid: string, token: string, localAddress = '127.0.0.1') {
  const ws = new WebSocket(t.baseUrl.replace('https:', 'wss:') + '/v1/customer', { ca: t.gateway.caPem, localAddress });
  const first = new Promise<Record<string, unknown>>((resolve) => {
    ws.on('message', (data) => resolve(JSON.parse(data.toString())));
    ws.on('close', (code, reason) => resolve({ closed: code, reason: reason.toString() }));
  });
  ws.on('open', () => ws.send(JSON.stringify({ v: 1, type: 'resume', guid, token })));
  ws.on('error', () => {});
  return { ws, first };
}

describe('resume tokens', () => {
  it('cannot take a live connection over: the owner answers the gateway’s probe, the thief is refused', async () => {
    const { guid, customer, tech } = await paired();
    const thief = resumeFrom(guid, tokenOf(customer), '127.0.0.7');
    expect(await thief.first).toMatchObject({ type: 'error', code: 'E_FORBIDDEN' });
    thief.ws.close();
    // The owner keeps its session.
    const chat = nextEvent(tech, 'chat');
    customer.chat('still mine');
    expect((await chat).text).toBe('still mine');
    customer.end();
  });

  it('work once: a resume from a new address is let in (the old connection is dead), the others are told, the old token is spent', async () => {
    const { guid, customer, tech } = await paired();
    const token = tokenOf(customer);
    const away = nextEvent(tech, 'peer');
    cutConnection(customer);
    expect((await away)[0]).toBe('reconnecting');
    const back = nextEvent(tech, 'peer');
    const comeback = resumeFrom(guid, token, '127.0.0.8');
    const state = (await comeback.first) as { type: string; state: string; resumeToken: string };
    expect(state).toMatchObject({ type: 'state', state: 'active' });
    expect(state.resumeToken).toMatch(/^[0-9a-f]{32}$/);
    expect(state.resumeToken).not.toBe(token);
    expect(await back).toEqual(['back', { id: 'c1', newAddress: true }]);
    // The spent token brings nobody back, even once that connection is gone.
    const awayAgain = nextEvent(tech, 'peer');
    comeback.ws.terminate();
    expect((await awayAgain)[0]).toBe('reconnecting');
    const replay = resumeFrom(guid, token);
    expect(await replay.first).toMatchObject({ type: 'error', code: 'E_SESSION_NOT_FOUND' });
    tech.end();
  });
});
