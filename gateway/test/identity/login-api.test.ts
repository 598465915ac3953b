import { generate } from 'otplib';
import { describe, expect, it } from 'vitest';
import { SecondFactorRequiredError } from '../../../clients/sdk/src/index.js';
import { httpJson, useIdentityGateway, loginToken } from './identity-fixture.js';

const g = useIdentityGateway(async ({ stores, pw }) => {
  pw.admin = await stores.addAccount('ada', 'acme', 'administrator');
  pw.tech = await stores.addAccount('tess', 'acme', 'technician');
  pw.far = await stores.addAccount('faye', 'acme', 'technician');
});
const { pw } = g;

const code = (secret: string) => generate({ secret });

describe('two-step login over HTTP', () => {
  it('enforces TOTP for the organisation: enrol on the way in (QR code), then a code at every login', async () => {
    const admin = await loginToken(g.t, 'ada', pw.admin!);
    expect((await httpJson(g.t, 'PATCH', '/v1/admin/security', { token: admin, body: { requireTotp: true } })).status).toBe(200);

    const first = await httpJson(g.t, 'POST', '/v1/auth/login', { body: { username: 'tess', password: pw.tech } });
    expect(first).toMatchObject({ status: 200, body: { secondFactor: 'totp-enrol', challenge: expect.any(String) } });
    expect(first.body.token).toBeUndefined();
    const enrol = await httpJson(g.t, 'POST', '/v1/auth/login/enrol', { body: { challenge: first.body.challenge } });
    expect(enrol.body).toMatchObject({ otpauthUri: expect.stringMatching(/^otpauth:\/\/totp\//), qrDataUrl: expect.stringMatching(/^data:image\/png;base64,/) });
    const done = await httpJson(g.t, 'POST', '/v1/auth/login/second-factor', { body: { challenge: first.body.challenge, code: await code(enrol.body.secret) } });
    expect(done).toMatchObject({ status: 200, body: { token: expect.any(String), recoveryCodes: expect.any(Array) } });
    expect((await httpJson(g.t, 'GET', '/v1/sessions/waiting', { token: done.body.token })).status).toBe(200);

    const next = await httpJson(g.t, 'POST', '/v1/auth/login', { body: { username: 'tess', password: pw.tech } });
    expect(next.body.secondFactor).toBe('totp');
    const wrong = await httpJson(g.t, 'POST', '/v1/auth/login/second-factor', { body: { challenge: next.body.challenge, code: '000000' } });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'E_AUTH_FAILED' } } });
    const recovered = await httpJson(g.t, 'POST', '/v1/auth/login/second-factor', { body: { challenge: next.body.challenge, recoveryCode: done.body.recoveryCodes[0] } });
    expect(recovered.status).toBe(200);
    const both = await httpJson(g.t, 'POST', '/v1/auth/login/second-factor', { body: { challenge: next.body.challenge, code: '123456', recoveryCode: 'x' } });
    expect(both).toMatchObject({ status: 400, body: { error: { code: 'E_BAD_REQUEST' } } });
    expect(g.t.logLines.join('\n')).not.toContain(enrol.body.secret);

    // The SDK: login() says a second step is due, and carries on with the code.
    const sdk = g.t.client();
    const err = await sdk.login('tess', pw.tech!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecondFactorRequiredError);
    const { challenge } = (err as SecondFactorRequiredError).challenge;
    await sdk.completeSecondFactor(challenge, { recoveryCode: done.body.recoveryCodes[1] });
    expect(await sdk.listWaiting()).toEqual([]);
    await httpJson(g.t, 'PATCH', '/v1/admin/security', { token: admin, body: { requireTotp: false } });
  });
});

describe('allow-list over HTTP', () => {
  it('refuses a technician outside the list with E_IP_NOT_ALLOWED, at login and on every request', async () => {
    const admin = await loginToken(g.t, 'ada', pw.admin!);
    const farToken = await loginToken(g.t, 'faye', pw.far!, '127.0.0.2');
    // An administrator cannot save a list that shuts out its own address.
    const self = await httpJson(g.t, 'PATCH', '/v1/admin/security', { token: admin, body: { allowList: ['192.0.2.0/24'] } });
    expect(self).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/your own address/) } } });
    const bad = await httpJson(g.t, 'PATCH', '/v1/admin/security', { token: admin, body: { allowList: ['127.0.0.1/33'] } });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'E_BAD_REQUEST' } } });
    const set = await httpJson(g.t, 'PATCH', '/v1/admin/security', { token: admin, body: { allowList: ['127.0.0.1/32', '2001:db8::/32'] } });
    expect(set.body.allowList).toEqual(['127.0.0.1/32', '2001:db8::/32']);

    const login = await httpJson(g.t, 'POST', '/v1/auth/login', { body: { username: 'faye', password: pw.far }, from: '127.0.0.2' });
    expect(login).toMatchObject({ status: 403, body: { error: { code: 'E_IP_NOT_ALLOWED' } } });
    const request = await httpJson(g.t, 'GET', '/v1/sessions/waiting', { token: farToken, from: '127.0.0.2' });
    expect(request).toMatchObject({ status: 403, body: { error: { code: 'E_IP_NOT_ALLOWED' } } });
    const create = await httpJson(g.t, 'POST', '/v1/sessions', { token: farToken, from: '127.0.0.2', body: {} });
    expect(create.status).toBe(403);
    // The same token from inside the list works.
    expect((await httpJson(g.t, 'GET', '/v1/sessions/waiting', { token: farToken, from: '127.0.0.1' })).status).toBe(200);
    expect(g.t.logLines.some((l) => l.includes('"event":"login_refused_source"'))).toBe(true);
    await httpJson(g.t, 'PATCH', '/v1/admin/security', { token: admin, body: { allowList: [] } });
  });
});
