import { describe, expect, it } from 'vitest';
import type { RelaydeskClient } from '../../../clients/sdk/src/node.js';
import { useIdentityGateway } from '../identity/identity-fixture.js';
import { eventually, nextEvent } from './events.js';

const g = useIdentityGateway(async ({ stores, pw }) => {
  // Written before the gateway first reads the stores (it rereads the files at most once a second).
  pw.strict = await stores.addAccount('strict', 'locked-down', 'technician');
  pw.strict2 = await stores.addAccount('strict2', 'locked-down', 'technician');
  pw.walled = await stores.addAccount('walled', 'walled-org', 'technician');
  await stores.org('locked-down', (o) => {
    o.policy = { allowedPowers: ['view', 'clipboard'], relayOnly: true, grantsSurviveTransfer: false };
  });
  await stores.org('walled-org', (o) => {
    o.security = { ...o.security, allowList: ['127.0.0.1/32'] };
  });
});
const { pw } = g;

async function loggedIn(name: string, from?: string): Promise<RelaydeskClient> {
  const c = g.t.client(from ? { localAddress: from } : {});
  await c.login(name, pw[name]!);
  return c;
}

describe('the organisation’s policy, enforced inside live sessions', () => {
  it('a power the policy forbids is refused at the gateway, even from a hand-made client; relayOnly refuses path signals; grants reset on a transfer', async () => {
    const strict = await loggedIn('strict');
    const s = await strict.createSession();
    const customer = await g.t.client().joinSession({ pin: s.pin }, 'Pat');
    const tech = await strict.pickUp(s.guid);
    await customer.waitFor('active');
    // Both sides are shown what the organisation allows.
    expect(tech.policy).toMatchObject({ allowedPowers: ['view', 'clipboard'], relayOnly: true });
    expect(customer.policy).toMatchObject({ relayOnly: true });

    // The SDK sends whatever it is asked to (a hand-made client may too): the refusal is the gateway's.
    const refused = nextEvent(tech, 'error');
    tech.request('control');
    expect(await refused).toMatchObject({ code: 'E_FORBIDDEN' });

    // The customer cannot grant it either.
    const noGrant = nextEvent(customer, 'error');
    customer.grant('control');
    expect(await noGrant).toMatchObject({ code: 'E_FORBIDDEN' });
    expect(customer.grants).not.toContain('control');

    // relayOnly: no signalling for direct paths.
    const noSignal = nextEvent(tech, 'error');
    tech.signal({ kind: 'candidates', tcp: ['192.0.2.1:4000'] });
    expect(await noSignal).toMatchObject({ code: 'E_FORBIDDEN' });

    // An allowed power goes through; passing control to another technician resets the grants (policy).
    const asked = nextEvent(customer, 'request');
    tech.request('view');
    expect((await asked)[0]).toBe('view');
    customer.grant('view');
    customer.grant('clipboard');
    expect(await eventually(() => tech.grants.includes('view') && tech.grants.includes('clipboard'))).toBe(true);
    const other = await (await loggedIn('strict2')).attend(s.guid);
    expect(await eventually(() => tech.participants.length === 3)).toBe(true);
    tech.pass(other.you);
    // What acts for the controller (clipboard) is the customer's to give again; view stays with every viewer.
    expect(await eventually(() => other.controller === other.you && customer.grants.join() === 'view')).toBe(true);
    customer.end();
  });

  it('a technician outside the organisation’s allow-list cannot pick up over the WebSocket either', async () => {
    const inside = await loggedIn('walled', '127.0.0.1');
    const s = await inside.createSession();
    const customer = await g.t.client().joinSession({ pin: s.pin }, 'Quinn');
    // The same bearer token, used from another address: refused at the handshake.
    const outside = g.t.client({ localAddress: '127.0.0.5' });
    outside.useToken(inside.bearerToken!);
    const attempt = await outside.pickUp(s.guid).catch((e: { code: string }) => e);
    expect((attempt as { code: string }).code).toBe('E_IP_NOT_ALLOWED');
    expect(customer.state).toBe('waiting');
    const tech = await inside.pickUp(s.guid);
    expect(tech.state).toBe('active');
    customer.end();
  });
});
