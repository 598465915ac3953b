import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { SessionConnection } from '../../../clients/sdk/src/node.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { collect, cutConnection, eventually, nextEvent, sleep } from './events.js';

let t: TestGateway;
let pw: string;

beforeAll(async () => {
  t = await startTestGateway({ resumeGraceSeconds: '10' });
  pw = await t.addTechnician('rhea', 'acme');
});
afterAll(() => t.stop());

/** Cuts the TCP connection under a party without a WebSocket close: what a network drop looks like. */

async function paired() {
  const c = t.client();
  await c.login('rhea', pw);
  const s = await c.createSession();
  const customer = await t.client().joinSession({ pin: s.pin }, 'Blip');
  const tech = await c.pickUp(s.guid);
  await customer.waitFor('active');
  return { customer, tech };
}

describe('a party that loses its connection resumes the session', () => {
  it('the customer drops and comes back: nothing said in between is lost or repeated, grants survive', async () => {
    const { customer, tech } = await paired();
    customer.grant('control');
    await nextEvent(tech, 'grants');
    const atTech = collect(tech, 'chat');
    const atCustomer = collect(customer, 'chat');
    customer.chat('one');
    await eventually(() => atTech.length === 1);

    const techSeesDrop = nextEvent(tech, 'peer');
    const resumed = nextEvent(customer, 'resumed');
    const resync = nextEvent(customer, 'resync');
    cutConnection(customer);
    expect((await techSeesDrop)[0]).toBe('reconnecting');
    // Said while the customer is away, on both sides: the gateway cannot deliver these now.
    tech.chat('are you there?');
    customer.chat('two (typed while offline)');
    await resumed;
    await resync;
    customer.chat('three');
    expect(await eventually(() => atTech.length === 3 && atCustomer.length === 1, 5000)).toBe(true);
    await sleep(300); // any duplicate would arrive now
    expect(atTech.map(([m]) => m.text)).toEqual(['one', 'two (typed while offline)', 'three']);
    expect(atCustomer.map(([m]) => m.text)).toEqual(['are you there?']);
    expect(customer.grants).toEqual(['control']);
    customer.end();
  });

  it('the technician drops and comes back to the same session', async () => {
    const { customer, tech } = await paired();
    const back = collect(customer, 'peer');
    cutConnection(tech);
    await nextEvent(tech, 'resumed');
    expect(await eventually(() => back.some(([p]) => p === 'back'), 3000)).toBe(true);
    const chat = nextEvent(customer, 'chat');
    tech.chat('sorry, my network');
    expect((await chat).text).toBe('sorry, my network');
    tech.end();
  });

  it('a resume with a wrong token is refused, and does not disturb the session', async () => {
    const { customer, tech } = await paired();
    const forged = await new Promise<{ code: number; reason: string }>((resolve) => {
      const ws = new WebSocket(t.baseUrl.replace('https', 'wss') + '/v1/customer', { ca: t.gateway.caPem });
      ws.on('open', () => ws.send(JSON.stringify({ v: 1, type: 'resume', guid: customer.guid, token: '0'.repeat(32) })));
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    expect(forged).toEqual({ code: 4404, reason: 'E_SESSION_NOT_FOUND' });
    const chat = nextEvent(tech, 'chat');
    customer.chat('unaffected');
    expect((await chat).text).toBe('unaffected');
    customer.end();
  });
});
