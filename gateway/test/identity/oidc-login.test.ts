import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { freePort } from '../free-port.js';
import { browseSignIn, startOidcProvider, type TestProvider } from '../oidc-provider-server.js';
import { httpJson, identityStores, loginToken } from './identity-fixture.js';

let t: TestGateway;
let op: TestProvider;
let stores: Awaited<ReturnType<typeof identityStores>>;
let admin = '';
let callback = '';
let settings: Record<string, unknown> = {};

beforeAll(async () => {
  t = await startTestGateway();
  callback = `${t.baseUrl}/v1/auth/oidc/callback`;
  op = await startOidcProvider({
    clientId: 'relaydesk',
    clientSecret: 'oidc-test-secret',
    redirectUri: callback,
    people: {
      bob: { name: 'Bob Support', email: 'bob@example.org', groups: ['support', 'Line-1'] },
      erin: { name: 'Erin Boss', email: 'erin@example.org', groups: ['support', 'support-admins'] },
      carol: { name: 'Carol Marketing', email: 'carol@example.org', groups: ['marketing'] },
    },
  });
  stores = await identityStores(t);
  const pw = await stores.addAccount('ada', 'acme', 'administrator');
  await stores.org('acme', (o) => void o.teams.push({ id: 'l1', name: 'First line' }));
  admin = await loginToken(t, 'ada', pw);
  settings = {
    issuer: op.issuer,
    clientId: 'relaydesk',
    clientSecret: 'oidc-test-secret',
    redirectUri: callback,
    scope: 'openid profile email groups',
    groups: { roles: { support: 'technician', 'support-admins': 'administrator' }, teams: { 'line-1': 'l1' } },
  };
  const set = await httpJson(t, 'PUT', '/v1/admin/identity/oidc', { token: admin, body: settings });
  if (set.status !== 200) throw new Error(`OIDC setup: ${JSON.stringify(set.body)}`);
}, 60_000);
afterAll(async () => {
  await stores?.close();
  await t?.stop();
  await op?.stop();
});

async function signIn(login: string) {
  const start = await httpJson(t, 'GET', '/v1/auth/oidc/acme/start');
  expect(start.status).toBe(302);
  expect(start.setCookie).toMatch(/^rd_sso=/);
  const back = await browseSignIn(start.body.url, login, callback);
  return { start, back, reply: await httpJson(t, 'GET', back.slice(t.baseUrl.length), { cookie: start.setCookie }) };
}

describe('OpenID Connect sign-in against oidc-provider', () => {
  it('asks for an authorisation code with PKCE (S256), state and nonce', async () => {
    const start = await httpJson(t, 'GET', '/v1/auth/oidc/acme/start');
    const url = new URL(start.body.url);
    expect(url.origin).toBe(op.issuer);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'relaydesk',
      redirect_uri: callback,
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      state: expect.any(String),
      nonce: expect.any(String),
    });
  });

  it('signs a person in end to end; the groups claim gives role and team', async () => {
    const { reply } = await signIn('bob');
    expect(reply).toMatchObject({ status: 200, body: { token: expect.any(String), technician: { username: 'bob@acme', role: 'technician', teamId: 'l1', displayName: 'Bob Support' } } });
    expect((await httpJson(t, 'GET', '/v1/sessions/waiting', { token: reply.body.token })).status).toBe(200);
    const erin = await signIn('erin');
    expect(erin.reply.body.technician).toMatchObject({ role: 'administrator', teamId: null });
    expect(await stores.accounts.getByUsername('erin@acme')).toMatchObject({ source: 'oidc', externalId: `${op.issuer}#erin` });
    expect(t.logLines.join('\n')).not.toContain('oidc-test-secret');
  });

  it('refuses a person whose groups give no role', async () => {
    const { reply } = await signIn('carol');
    expect(reply).toMatchObject({ status: 401, body: { error: { code: 'E_AUTH_FAILED' } } });
  });

  it('refuses a replayed callback and a forged state', async () => {
    const { back, start: first } = await signIn('bob');
    const replay = await httpJson(t, 'GET', back.slice(t.baseUrl.length), { cookie: first.setCookie });
    expect(replay).toMatchObject({ status: 401, body: { error: { code: 'E_AUTH_FAILED' } } });
    const start = await httpJson(t, 'GET', '/v1/auth/oidc/acme/start');
    const fresh = await browseSignIn(start.body.url, 'bob', callback);
    const forged = fresh.replace(/state=[^&]+/, 'state=forged');
    expect((await httpJson(t, 'GET', forged.slice(t.baseUrl.length), { cookie: start.setCookie })).status).toBe(401);
  });

  it('finishes a sign-in only in the browser that started it (login CSRF)', async () => {
    const mine = await httpJson(t, 'GET', '/v1/auth/oidc/acme/start');
    // The victim's browser carries its own cookie (or none), not the one of whoever started the sign-in.
    for (const cookie of [undefined, mine.setCookie]) {
      const theirs = await httpJson(t, 'GET', '/v1/auth/oidc/acme/start');
      const back = await browseSignIn(theirs.body.url, 'bob', callback);
      const r = await httpJson(t, 'GET', back.slice(t.baseUrl.length), { cookie });
      expect(r).toMatchObject({ status: 401, body: { error: { code: 'E_AUTH_FAILED', message: expect.stringMatching(/browser that started it/) } } });
    }
  });

  it('answers an organisation without single sign-on with E_NOT_FOUND, and an unreachable provider with E_DIRECTORY_UNAVAILABLE', async () => {
    expect((await httpJson(t, 'GET', '/v1/auth/oidc/beta/start')).body.error.code).toBe('E_NOT_FOUND');
    const closed = `http://127.0.0.1:${await freePort()}`;
    const moved = await httpJson(t, 'PUT', '/v1/admin/identity/oidc', { token: admin, body: { ...settings, issuer: closed } });
    expect(moved.status).toBe(200);
    const r = await httpJson(t, 'GET', '/v1/auth/oidc/acme/start');
    expect(r).toMatchObject({ status: 503, body: { error: { code: 'E_DIRECTORY_UNAVAILABLE' } } });
  });
});
