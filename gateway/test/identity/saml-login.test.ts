import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { startSamlIdp } from '../saml-idp.js';
import { httpJson, identityStores, loginToken, type JsonReply } from './identity-fixture.js';

let t: TestGateway;
let idp: Awaited<ReturnType<typeof startSamlIdp>>;
let stores: Awaited<ReturnType<typeof identityStores>>;
let admin = '';
const spEntityId = 'https://relaydesk.example.org/saml';

beforeAll(async () => {
  [t, idp] = await Promise.all([startTestGateway(), startSamlIdp()]);
  stores = await identityStores(t);
  const pw = await stores.addAccount('ada', 'acme', 'administrator');
  await stores.org('acme', (o) => void o.teams.push({ id: 'l1', name: 'First line' }));
  admin = await loginToken(t, 'ada', pw);
  const set = await httpJson(t, 'PUT', '/v1/admin/identity/saml', {
    token: admin,
    body: {
      entryPoint: 'https://idp.example.org/saml/sso',
      idpIssuer: idp.entityId,
      idpCert: idp.certPem,
      spEntityId,
      callbackUrl: `${t.baseUrl}/v1/auth/saml/acs`,
      groups: { roles: { support: 'technician', 'support-admins': 'administrator' }, teams: { 'line-1': 'l1' } },
    },
  });
  if (set.status !== 200) throw new Error(`SAML setup: ${JSON.stringify(set.body)}`);
}, 60_000);
afterAll(async () => {
  await stores?.close();
  await t?.stop();
});

/** What the browser does with the IdP's auto-submitting form: POST it, form-encoded, to the gateway. */
function postForm(fields: Record<string, string>, cookie?: string): Promise<JsonReply> {
  const body = new URLSearchParams(fields).toString();
  const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...(cookie ? { cookie } : {}) };
  return new Promise((resolve, reject) => {
    const req = request(`${t.baseUrl}/v1/auth/saml/acs`, { method: 'POST', ca: t.gateway.caPem, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A sign-in started in "the browser": the IdP's view of the request, and the browser's binding cookie. */
async function startSignIn() {
  const start = await httpJson(t, 'GET', '/v1/auth/saml/acme/start');
  expect(start.status).toBe(302);
  expect(start.setCookie).toMatch(/^rd_sso=/);
  return { ...idp.readRequest(start.body.url), cookie: start.setCookie! };
}

/** The browser posting the IdP's answer back, with its cookie. */
const postBack = (req: { relayState: string; cookie: string }, SAMLResponse: string) => postForm({ SAMLResponse, RelayState: req.relayState }, req.cookie);

const bob = { nameId: 'bob', displayName: 'Bob Support', groups: ['support', 'line-1'] };

describe('SAML 2.0 sign-in', () => {
  it('sends an AuthnRequest for this gateway and logs in with a signed assertion; groups give role and team', async () => {
    const req = await startSignIn();
    expect(req).toMatchObject({ acsUrl: `${t.baseUrl}/v1/auth/saml/acs`, spEntityId, relayState: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const reply = await postBack(req, idp.respond(req, bob));
    expect(reply).toMatchObject({ status: 200, body: { token: expect.any(String), technician: { username: 'bob@acme', role: 'technician', teamId: 'l1', displayName: 'Bob Support' } } });
    expect((await httpJson(t, 'GET', '/v1/sessions/waiting', { token: reply.body.token })).status).toBe(200);
    expect(await stores.accounts.getByUsername('bob@acme')).toMatchObject({ source: 'saml', externalId: `${idp.entityId}#bob` });
  });

  it('refuses a replayed response, one for a request never made, and one for another audience', async () => {
    const req = await startSignIn();
    const response = idp.respond(req, bob);
    expect((await postBack(req, response)).status).toBe(200);
    expect(await postBack(req, response)).toMatchObject({ status: 401, body: { error: { code: 'E_AUTH_FAILED' } } });
    // A fresh sign-in (so relay and cookie are good), answered for a request id this gateway never sent.
    const another = await startSignIn();
    expect((await postBack(another, idp.respond({ ...another, id: '_never-asked' }, bob))).status).toBe(401);
    const other = await startSignIn();
    expect((await postBack(other, idp.respond(other, bob, { audience: 'https://other.example.org' }))).status).toBe(401);
  });

  it('refuses an unsigned assertion, one signed by another key, and one changed after signing', async () => {
    for (const tamper of [{ unsigned: true }, { signWith: await idp.otherKey() }, { alterAfterSigning: true }]) {
      const req = await startSignIn();
      const reply = await postBack(req, idp.respond(req, bob, tamper));
      expect(reply, JSON.stringify(Object.keys(tamper))).toMatchObject({ status: 401, body: { error: { code: 'E_AUTH_FAILED' } } });
    }
    expect(t.logLines.some((l) => l.includes('"event":"saml_response_refused"'))).toBe(true);
  });

  it('refuses a person whose groups give no role, and an organisation without SAML', async () => {
    const req = await startSignIn();
    const reply = await postBack(req, idp.respond(req, { nameId: 'carol', displayName: 'Carol', groups: ['marketing'] }));
    expect(reply.status).toBe(401);
    expect((await httpJson(t, 'GET', '/v1/auth/saml/beta/start')).body.error.code).toBe('E_NOT_FOUND');
    expect((await postForm({ SAMLResponse: 'x', RelayState: 'beta' })).status).toBe(401);
  });

  it('finishes a sign-in only in the browser that started it (login CSRF)', async () => {
    const mine = await startSignIn();
    for (const cookie of [undefined, mine.cookie]) {
      const theirs = await startSignIn();
      const reply = await postForm({ SAMLResponse: idp.respond(theirs, bob), RelayState: theirs.relayState }, cookie);
      expect(reply).toMatchObject({ status: 401, body: { error: { message: expect.stringMatching(/browser that started it/) } } });
    }
  });
});
