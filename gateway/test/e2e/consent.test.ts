import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Channel } from '../../../clients/sdk/src/node.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { collect, eventually, nextEvent, sleep } from './events.js';
import { noiseKeyframe } from './screen-frames.js';

let t: TestGateway;
let pw: string;

beforeAll(async () => {
  t = await startTestGateway();
  pw = await t.addTechnician('tom', 'acme');
});
afterAll(() => t.stop());

describe('powers are off until the customer grants them, enforced at the gateway', () => {
  it('view, control and files: refused before a grant, relayed after it, refused again after revoke', async () => {
    const tc = t.client();
    await tc.login('tom', pw);
    const s = await tc.createSession();
    const customer = await t.client().joinSession({ pin: s.pin }, 'Pat');
    const tech = await tc.pickUp(s.guid);
    await customer.waitFor('active');
    const atTech = collect(tech, 'data');
    const atCustomer = collect(customer, 'data');
    const techErrors = collect(tech, 'error');

    // Before any grant: the screen is dropped, input and files are refused with E_NOT_GRANTED.
    customer.send(Channel.screen, new Uint8Array([1]));
    tech.send(Channel.input, new Uint8Array([2]));
    tech.send(Channel.file, new Uint8Array([3]));
    expect(await eventually(() => techErrors.length === 2)).toBe(true);
    expect(techErrors.map(([e]) => e.code)).toEqual(['E_NOT_GRANTED', 'E_NOT_GRANTED']);
    expect(atTech).toHaveLength(0);
    expect(atCustomer).toHaveLength(0);

    // The technician asks; the customer sees the request and grants view and control (not files).
    const asked = nextEvent(customer, 'request');
    tech.request('control');
    expect(await asked).toEqual(['control', { from: 't1', name: expect.any(String) }]); // who asks is shown
    const grantsAtTech = collect(tech, 'grants');
    customer.grant('view');
    customer.grant('control');
    expect(await eventually(() => grantsAtTech.length === 2)).toBe(true);
    expect(grantsAtTech[1]![0].sort()).toEqual(['control', 'view']);

    const screen = noiseKeyframe(1, 8, 8);
    customer.sendRaw(screen);
    tech.send(Channel.input, new Uint8Array([5]));
    tech.send(Channel.file, new Uint8Array([6]));
    expect(await eventually(() => atTech.length === 1 && atCustomer.length === 1 && techErrors.length === 3)).toBe(true);
    expect([...atTech[0]![1]]).toEqual([...screen.subarray(1)]);
    expect([...atCustomer[0]![1]]).toEqual([5]);
    expect(techErrors[2]![0].code).toBe('E_NOT_GRANTED');

    // Revoke control: input stops at once.
    customer.revoke('control');
    await eventually(() => grantsAtTech.length === 3);
    tech.send(Channel.input, new Uint8Array([7]));
    expect(await eventually(() => techErrors.length === 4)).toBe(true);
    await sleep(50);
    expect(atCustomer).toHaveLength(1);
    customer.end();
  });

  it('only the customer can grant; a technician granting itself is refused', async () => {
    const tc = t.client();
    await tc.login('tom', pw);
    const s = await tc.createSession();
    const customer = await t.client().joinSession({ pin: s.pin }, 'Quinn');
    const tech = await tc.pickUp(s.guid);
    const err = nextEvent(tech, 'error');
    tech.grant('control');
    expect((await err).code).toBe('E_FORBIDDEN');
    const errors = collect(tech, 'error');
    tech.send(Channel.input, new Uint8Array([1]));
    expect(await eventually(() => errors.length === 1)).toBe(true);
    expect(errors[0]![0].code).toBe('E_NOT_GRANTED');
    customer.end();
  });
});
