import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { startSlapd, type SlapdServer } from '../slapd-server.js';
import { httpJson, identityStores, loginToken } from './identity-fixture.js';

const suffix = 'dc=example,dc=org';
const person = (uid: string, cn: string, pw: string) => `dn: uid=${uid},ou=people,${suffix}
objectClass: inetOrgPerson
uid: ${uid}
cn: ${cn}
sn: ${cn.split(' ').at(-1)}
userPassword: ${pw}
`;
const group = (cn: string, members: string[]) => `dn: cn=${cn},ou=groups,${suffix}
objectClass: groupOfNames
cn: ${cn}
${members.map((m) => `member: uid=${m},ou=people,${suffix}`).join('\n')}
`;
const ldif = [
  `dn: ${suffix}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n`,
  `dn: ou=people,${suffix}\nobjectClass: organizationalUnit\nou: people\n`,
  `dn: ou=groups,${suffix}\nobjectClass: organizationalUnit\nou: groups\n`,
  `dn: ou=services,${suffix}\nobjectClass: organizationalUnit\nou: services\n`,
  `dn: cn=relaydesk,ou=services,${suffix}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: relaydesk\nuserPassword: service-pw\n`,
  person('alice', 'Alice Admin', 'alice-pw'),
  person('bob', 'Bob Tech', 'bob-pw'),
  person('carol', 'Carol Outsider', 'carol-pw'),
  person('dave', 'Dave Locked', 'dave-pw'),
  group('rd-admins', ['alice']),
  group('rd-techs', ['bob', 'dave']),
  group('line-1', ['bob']),
  group('unrelated', ['carol']),
].join('\n');

let slapd: SlapdServer;
let t: TestGateway;
let stores: Awaited<ReturnType<typeof identityStores>>;
let admin = '';
const login = (username: string, password: string, org = 'acme') => httpJson(t, 'POST', '/v1/auth/ldap/login', { body: { org, username, password } });

beforeAll(async () => {
  slapd = await startSlapd({ suffix, ldif });
  t = await startTestGateway();
  stores = await identityStores(t);
  const pw = await stores.addAccount('ada', 'acme', 'administrator');
  await stores.org('acme', (o) => void o.teams.push({ id: 'l1', name: 'First line' }));
  admin = await loginToken(t, 'ada', pw);
  const set = await httpJson(t, 'PUT', '/v1/admin/identity/ldap', {
    token: admin,
    body: {
      url: slapd.url,
      bindDn: `cn=relaydesk,ou=services,${suffix}`,
      bindPassword: 'service-pw',
      searchBase: `ou=people,${suffix}`,
      searchFilter: '(uid={username})',
      groupSearchBase: `ou=groups,${suffix}`,
      groups: {
        roles: { [`cn=rd-admins,ou=groups,${suffix}`]: 'administrator', [`CN=RD-Techs,OU=groups,${suffix}`]: 'technician' },
        teams: { [`cn=line-1,ou=groups,${suffix}`]: 'l1' },
      },
    },
  });
  if (set.status !== 200) throw new Error(`LDAP setup: ${JSON.stringify(set.body)}`);
}, 60_000);
afterAll(async () => {
  await stores?.close();
  await t?.stop();
  await slapd?.stop();
});

describe('LDAP login against slapd', () => {
  it('logs in with the directory password; groups decide role and team; the account is made once', async () => {
    const a = await login('alice', 'alice-pw');
    expect(a).toMatchObject({ status: 200, body: { token: expect.any(String), technician: { username: 'alice@acme', role: 'administrator', teamId: null, displayName: 'Alice Admin' } } });
    const b = await login('Bob', 'bob-pw');
    expect(b.body.technician).toMatchObject({ username: 'bob@acme', role: 'technician', teamId: 'l1' });
    expect(await stores.accounts.getByUsername('bob@acme')).toMatchObject({ source: 'ldap', externalId: `uid=bob,ou=people,${suffix}` });
    expect((await httpJson(t, 'GET', '/v1/sessions/waiting', { token: b.body.token })).status).toBe(200);
    const again = await login('bob', 'bob-pw');
    expect(again.body.technician.id).toBe(b.body.technician.id);
    expect(t.logLines.filter((l) => l.includes('"event":"admin.technician.created"') && l.includes('"by":"directory:ldap"'))).toHaveLength(2);
  });

  it('hides the service password from the admin API', async () => {
    const org = await httpJson(t, 'GET', '/v1/admin/org', { token: admin });
    expect(org.body.ldap.bindPassword).toBe('[set]');
    expect(JSON.stringify(org.body)).not.toContain('service-pw');
  });

  it('refuses a wrong password, an unknown person, an empty password and a filter injection alike', async () => {
    for (const [u, p] of [['alice', 'wrong'], ['nobody', 'x'], ['alice', ''], ['*', 'alice-pw'], ['alice)(uid=*', 'alice-pw']] as const) {
      const r = await login(u, p);
      expect(r.status, `${u}/${p}`).toBeGreaterThanOrEqual(400);
      expect(r.body.token, `${u}/${p}`).toBeUndefined();
      if (p !== '') expect(r.body.error.code, `${u}/${p}`).toBe('E_AUTH_FAILED');
    }
    expect(t.logLines.some((l) => l.includes('"reason":"unknown_user"'))).toBe(true);
  });

  it('refuses a person in no mapped group, and any organisation without LDAP', async () => {
    expect((await login('carol', 'carol-pw')).body.error.code).toBe('E_AUTH_FAILED');
    expect((await login('alice', 'alice-pw', 'beta')).body.error.code).toBe('E_AUTH_FAILED');
    expect(t.logLines.some((l) => l.includes('"reason":"no_mapped_group"'))).toBe(true);
  });

  it('counts wrong directory passwords towards the lockout', async () => {
    for (let i = 0; i < 5; i++) expect((await login('dave', 'nope')).body.error.code).toBe('E_AUTH_FAILED');
    expect((await login('dave', 'dave-pw')).body.error.code).toBe('E_ACCOUNT_LOCKED');
  });

  it('never lets a directory account in with a local password', async () => {
    const r = await httpJson(t, 'POST', '/v1/auth/login', { body: { username: 'bob@acme', password: 'bob-pw' } });
    expect(r).toMatchObject({ status: 401, body: { error: { code: 'E_AUTH_FAILED' } } });
  });

  it('follows a group change at the next login', async () => {
    const root = new Client({ url: slapd.url });
    await root.bind(slapd.rootDn, slapd.rootPassword);
    const { Change, Attribute } = await import('ldapts');
    await root.modify(`cn=rd-admins,ou=groups,${suffix}`, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [`uid=bob,ou=people,${suffix}`] }) }));
    await root.unbind();
    const r = await login('bob', 'bob-pw');
    expect(r.body.technician.role).toBe('administrator');
    expect(t.logLines.some((l) => l.includes('"event":"admin.technician.updated"') && l.includes('"role":"administrator"'))).toBe(true);
  });

  it('answers E_DIRECTORY_UNAVAILABLE when the directory is down, without counting a failure', async () => {
    await slapd.stop();
    const r = await login('alice', 'alice-pw');
    expect(r).toMatchObject({ status: 503, body: { error: { code: 'E_DIRECTORY_UNAVAILABLE' } } });
  });
});

describe('LDAP settings', () => {
  it('refuses settings that would send passwords in clear or lack a mapping', async () => {
    const base = { bindDn: 'cn=x', bindPassword: 'p', searchBase: 'dc=x', groupSearchBase: 'dc=x', groups: { roles: {} } };
    const clear = await httpJson(t, 'PUT', '/v1/admin/identity/ldap', { token: admin, body: { ...base, url: 'ldap://203.0.113.9' } });
    expect(clear).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/ldaps/) } } });
    const noFilter = await httpJson(t, 'PUT', '/v1/admin/identity/ldap', { token: admin, body: { ...base, url: 'ldaps://203.0.113.9', searchFilter: '(uid=alice)' } });
    expect(noFilter).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/searchFilter.*\{username\}/) } } });
    const badRole = await httpJson(t, 'PUT', '/v1/admin/identity/ldap', { token: admin, body: { ...base, url: 'ldaps://203.0.113.9', groups: { roles: { g: 'root' } } } });
    expect(badRole.status).toBe(400);
  });
});
