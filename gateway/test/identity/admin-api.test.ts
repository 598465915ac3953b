import { describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/roles.js';
import { adminRoutes } from '../../src/server/admin-api.js';
import { httpJson, useIdentityGateway, loginToken } from './identity-fixture.js';

const tokens = {} as Record<Role, string>;
const roleList: Role[] = ['technician', 'supervisor', 'administrator'];
let otherPassword = '';

const g = useIdentityGateway(async ({ t, stores }) => {
  await stores.org('acme', (o) => {
    o.teams.push(...roleList.map((r) => ({ id: `team-${r}`, name: r })), { id: 'l1', name: 'First line' });
  });
  // Every account before the first login: the gateway rereads the file store at most once a second.
  const passwords = {} as Record<Role, string>;
  for (const role of roleList) {
    passwords[role] = await stores.addAccount(`the-${role}`, 'acme', role);
    await stores.addAccount(`victim-${role}`, 'acme', 'technician');
  }
  otherPassword = await stores.addAccount('other-admin', 'beta', 'administrator');
  for (const role of roleList) tokens[role] = await loginToken(t, `the-${role}`, passwords[role]);
});

/**
 * Every admin endpoint: a request that works for an allowed role (its own targets, so the runs do not
 * collide) and the roles allowed. A route missing here fails the coverage test below.
 */
const matrix: Record<string, { method: string; path: (r: Role) => string; body?: (r: Role) => unknown; allowed: Role[] }> = {
  get_org: { method: 'GET', path: () => '/v1/admin/org', allowed: roleList },
  update_org: { method: 'PATCH', path: () => '/v1/admin/org', body: () => ({ name: 'Acme Ltd' }), allowed: ['administrator'] },
  list_teams: { method: 'GET', path: () => '/v1/admin/teams', allowed: roleList },
  create_team: { method: 'POST', path: () => '/v1/admin/teams', body: (r) => ({ id: `new-${r}`, name: 'New' }), allowed: ['administrator'] },
  delete_team: { method: 'DELETE', path: (r) => `/v1/admin/teams/team-${r}`, allowed: ['administrator'] },
  get_team_policy: { method: 'GET', path: () => '/v1/admin/teams/l1/policy', allowed: roleList },
  set_team_policy: { method: 'PUT', path: () => '/v1/admin/teams/l1/policy', body: () => ({ allowedPowers: ['view'] }), allowed: ['administrator'] },
  list_technicians: { method: 'GET', path: () => '/v1/admin/technicians', allowed: ['administrator', 'supervisor'] },
  create_technician: { method: 'POST', path: () => '/v1/admin/technicians', body: (r) => ({ username: `made-by-${r}` }), allowed: ['administrator', 'supervisor'] },
  get_technician: { method: 'GET', path: (r) => `/v1/admin/technicians/victim-${r}`, allowed: ['administrator', 'supervisor'] },
  update_technician: { method: 'PATCH', path: (r) => `/v1/admin/technicians/victim-${r}`, body: () => ({ displayName: 'Renamed' }), allowed: ['administrator', 'supervisor'] },
  reset_password: { method: 'POST', path: (r) => `/v1/admin/technicians/victim-${r}/reset-password`, allowed: ['administrator', 'supervisor'] },
  revoke_tokens: { method: 'POST', path: (r) => `/v1/admin/technicians/victim-${r}/revoke-tokens`, allowed: ['administrator', 'supervisor'] },
  reset_second_factor: { method: 'POST', path: (r) => `/v1/admin/technicians/victim-${r}/reset-second-factor`, allowed: ['administrator', 'supervisor'] },
  get_policy: { method: 'GET', path: () => '/v1/admin/policy', allowed: roleList },
  set_policy: { method: 'PUT', path: () => '/v1/admin/policy', body: () => ({ recording: 'on-request' }), allowed: ['administrator'] },
  get_form: { method: 'GET', path: () => '/v1/admin/form', allowed: ['administrator', 'supervisor', 'technician'] },
  set_form: { method: 'PUT', path: () => '/v1/admin/form', body: () => ({ fields: [] }), allowed: ['administrator'] },
  get_security: { method: 'GET', path: () => '/v1/admin/security', allowed: ['administrator', 'supervisor'] },
  set_security: { method: 'PATCH', path: () => '/v1/admin/security', body: () => ({ idleMinutes: 45 }), allowed: ['administrator'] },
  set_ldap: { method: 'PUT', path: () => '/v1/admin/identity/ldap', body: () => ({}), allowed: ['administrator'] },
  delete_ldap: { method: 'DELETE', path: () => '/v1/admin/identity/ldap', allowed: ['administrator'] },
  set_oidc: { method: 'PUT', path: () => '/v1/admin/identity/oidc', body: () => ({}), allowed: ['administrator'] },
  delete_oidc: { method: 'DELETE', path: () => '/v1/admin/identity/oidc', allowed: ['administrator'] },
  set_saml: { method: 'PUT', path: () => '/v1/admin/identity/saml', body: () => ({}), allowed: ['administrator'] },
  delete_saml: { method: 'DELETE', path: () => '/v1/admin/identity/saml', allowed: ['administrator'] },
};

describe('admin API role checks', () => {
  it('has an expectation for every admin endpoint', () => {
    const names = adminRoutes({ authenticate: async () => { throw new Error('unused'); }, admin: {} as never }).map((r) => r.name);
    expect(names.sort()).toEqual(Object.keys(matrix).sort());
  });

  it('refuses each role exactly what it may not do, on every endpoint (E_FORBIDDEN)', async () => {
    const wrong: string[] = [];
    for (const role of roleList) {
      for (const [name, m] of Object.entries(matrix)) {
        const r = await httpJson(g.t, m.method, m.path(role), { token: tokens[role], body: m.body?.(role) });
        const forbidden = r.status === 403 && r.body?.error?.code === 'E_FORBIDDEN';
        const expectForbidden = !m.allowed.includes(role);
        // Allowed calls may still fail on their input (an empty LDAP setting is a 400), but never with 403.
        if (forbidden !== expectForbidden || (!expectForbidden && r.status >= 500)) wrong.push(`${role} ${name}: ${r.status} ${JSON.stringify(r.body)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('refuses every endpoint without a token (E_TOKEN_INVALID)', async () => {
    for (const [name, m] of Object.entries(matrix)) {
      const r = await httpJson(g.t, m.method, m.path('administrator'), { body: m.body?.('administrator') });
      expect(r.status, name).toBe(401);
    }
  });
});

describe('admin API behaviour', () => {
  it('a technician cannot change a policy; an administrator can, and the technician sees it', async () => {
    const before = await httpJson(g.t, 'GET', '/v1/admin/policy', { token: tokens.technician });
    const refused = await httpJson(g.t, 'PUT', '/v1/admin/policy', { token: tokens.technician, body: { allowedPowers: ['view'] } });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'E_FORBIDDEN' } } });
    expect((await httpJson(g.t, 'GET', '/v1/admin/policy', { token: tokens.technician })).body).toEqual(before.body);

    const set = await httpJson(g.t, 'PUT', '/v1/admin/policy', { token: tokens.administrator, body: { allowedPowers: ['view', 'clipboard'], relayOnly: true } });
    expect(set.status).toBe(200);
    expect(set.body.runningSessions).toMatch(/created from now on/);
    const seen = await httpJson(g.t, 'GET', '/v1/admin/policy', { token: tokens.technician });
    expect(seen.body.effective).toMatchObject({ allowedPowers: ['view', 'clipboard'], relayOnly: true, unattendedAccess: false });
    expect(await g.t.gateway.policies.policyFor('acme')).toMatchObject({ allowedPowers: ['view', 'clipboard'] });
    expect(g.t.logLines.some((l) => l.includes('"event":"admin.policy.updated"') && l.includes('"by":"the-administrator"'))).toBe(true);
  });

  it('refuses bad policy input with E_BAD_REQUEST and changes nothing', async () => {
    const before = (await httpJson(g.t, 'GET', '/v1/admin/policy', { token: tokens.administrator })).body;
    const r = await httpJson(g.t, 'PUT', '/v1/admin/policy', { token: tokens.administrator, body: { allowedPowers: ['root'] } });
    expect(r).toMatchObject({ status: 400, body: { error: { code: 'E_BAD_REQUEST', message: expect.stringMatching(/allowedPowers/) } } });
    expect((await httpJson(g.t, 'GET', '/v1/admin/policy', { token: tokens.administrator })).body).toEqual(before);
  });

  it('creates a technician whose one-time password works, and logs no password', async () => {
    const r = await httpJson(g.t, 'POST', '/v1/admin/technicians', { token: tokens.administrator, body: { username: 'Newbie', role: 'supervisor', teamId: 'l1' } });
    expect(r.status).toBe(201);
    expect(r.body.technician).toMatchObject({ username: 'newbie', role: 'supervisor', teamId: 'l1', secondFactor: 'none' });
    const login = await httpJson(g.t, 'POST', '/v1/auth/login', { body: { username: 'newbie', password: r.body.password } });
    expect(login.body.technician).toMatchObject({ role: 'supervisor', teamId: 'l1' });
    expect(g.t.logLines.join('\n')).not.toContain(r.body.password);
    const dup = await httpJson(g.t, 'POST', '/v1/admin/technicians', { token: tokens.administrator, body: { username: 'newbie' } });
    expect(dup).toMatchObject({ status: 409, body: { error: { code: 'E_CONFLICT' } } });
  });

  it('keeps supervisors off roles and administrators, and administrators off their own role', async () => {
    const role = await httpJson(g.t, 'PATCH', '/v1/admin/technicians/victim-supervisor', { token: tokens.supervisor, body: { role: 'administrator' } });
    expect(role.status).toBe(403);
    const boss = await httpJson(g.t, 'POST', '/v1/admin/technicians/the-administrator/revoke-tokens', { token: tokens.supervisor });
    expect(boss.status).toBe(403);
    const self = await httpJson(g.t, 'PATCH', '/v1/admin/technicians/the-administrator', { token: tokens.administrator, body: { role: 'technician' } });
    expect(self.status).toBe(403);
    const typo = await httpJson(g.t, 'PATCH', '/v1/admin/technicians/victim-administrator', { token: tokens.administrator, body: { disable: true } });
    expect(typo).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/unknown field "disable"/) } } });
  });

  it('shows login security to those who may read it, and directory settings to administrators only', async () => {
    const tech = (await httpJson(g.t, 'GET', '/v1/admin/org', { token: tokens.technician })).body;
    expect(tech).toMatchObject({ id: 'acme', teams: expect.any(Array), policy: expect.any(Object) });
    expect(tech.security).toBeUndefined();
    expect(tech.ldap).toBeUndefined();
    const sup = (await httpJson(g.t, 'GET', '/v1/admin/org', { token: tokens.supervisor })).body;
    expect(sup.security).toBeDefined();
    expect('ldap' in sup).toBe(false);
    expect('ldap' in (await httpJson(g.t, 'GET', '/v1/admin/org', { token: tokens.administrator })).body).toBe(true);
  });

  it('shows another organisation nothing: its technicians are "not found"', async () => {
    const otherAdmin = await loginToken(g.t, 'other-admin', otherPassword);
    const r = await httpJson(g.t, 'GET', '/v1/admin/technicians/the-technician', { token: otherAdmin });
    expect(r).toMatchObject({ status: 404, body: { error: { code: 'E_NOT_FOUND' } } });
    const list = await httpJson(g.t, 'GET', '/v1/admin/technicians', { token: otherAdmin });
    expect(list.body.technicians.map((a: { username: string }) => a.username)).toEqual(['other-admin']);
  });
});
