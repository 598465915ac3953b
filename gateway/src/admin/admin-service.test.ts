import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { account } from '../auth/account-store.cases.js';
import { AdminEvents, type AdminActor } from '../auth/admin-events.js';
import { FileAccountStore } from '../auth/file-account-store.js';
import { FileOrgStore } from '../org/file-org-store.js';
import { AdminService } from './admin-service.js';

const fast = { N: 2 ** 10, r: 8, p: 1 };
let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

async function setup() {
  const dataDir = await mkdtemp(join(tmpdir(), 'rd-adminsvc-'));
  dirs.push(dataDir);
  const accounts = new FileAccountStore({ dataDir });
  const orgs = new FileOrgStore({ dataDir });
  await accounts.create(account({ id: 'a1', username: 'ada', role: 'administrator' }));
  await accounts.create(account({ id: 's1', username: 'sam', role: 'supervisor' }));
  const service = new AdminService({ accounts, orgs, events: new AdminEvents(), clock: () => 1000, scryptParams: fast });
  const as = (technicianId: string, username: string, role: 'administrator' | 'supervisor' | 'technician', orgId = 'acme'): AdminActor => ({ kind: 'account', technicianId, username, orgId, role, sourceIp: '192.0.2.1' });
  return { service, accounts, orgs, admin: as('a1', 'ada', 'administrator'), supervisor: as('s1', 'sam', 'supervisor'), as };
}

describe('AdminService input checks', () => {
  it('refuses bad team ids, names, security settings and usernames with E_BAD_REQUEST', async () => {
    const { service, admin } = await setup();
    await expect(service.createTeam(admin, 'acme', 'Bad Team', 'x')).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    await expect(service.createTeam(admin, 'acme', 'ok', 'evil\u001b[2J')).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    await expect(service.setSecurity(admin, 'acme', { idleMinutes: 0 })).rejects.toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringMatching(/idleMinutes/) });
    await expect(service.setSecurity(admin, 'acme', { requireTotp: 'yes' })).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    await expect(service.setSecurity(admin, 'acme', { allowList: ['10.0.0.0/8'], extra: 1 })).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    await expect(service.createTechnician(admin, 'acme', { username: 'no spaces' })).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    await expect(service.updateTechnician(admin, 'acme', 'sam', {})).rejects.toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringMatching(/nothing to change/) });
  });

  it('keeps organisations to the operator and each account to its own organisation', async () => {
    const { service, admin, as } = await setup();
    await expect(service.createOrganisation(admin, 'beta', 'Beta')).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    await expect(service.createOrganisation({ kind: 'operator' }, 'beta', 'Beta')).resolves.toMatchObject({ id: 'beta', name: 'Beta' });
    const outsider = as('x1', 'xena', 'administrator', 'beta');
    await expect(service.getTechnician(outsider, 'beta', 'ada')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(service.setPolicy(outsider, 'acme', null, {})).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(service.listTechnicians(admin, null)).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
  });

  it('lets a supervisor create only technicians, and nobody lock themselves out', async () => {
    const { service, admin, supervisor } = await setup();
    await expect(service.createTechnician(supervisor, 'acme', { username: 'boss', role: 'administrator' })).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    await expect(service.createTechnician(supervisor, 'acme', { username: 'newbie' })).resolves.toMatchObject({ technician: { role: 'technician' } });
    await expect(service.updateTechnician(admin, 'acme', 'ada', { disabled: true })).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    await expect(service.setSecurity(admin, 'acme', { allowList: ['198.51.100.0/24'] })).rejects.toMatchObject({ code: 'E_BAD_REQUEST', message: expect.stringMatching(/own address/) });
    await expect(service.setSecurity(admin, 'acme', { allowList: ['192.0.2.0/24'] })).resolves.toMatchObject({ allowList: ['192.0.2.0/24'] });
  });

  it('never shows directory secrets back', async () => {
    const { service, admin } = await setup();
    const withLdap = new AdminService({ ...{ accounts: new FileAccountStore({ dataDir: dirs[0]! }), orgs: new FileOrgStore({ dataDir: dirs[0]! }) }, events: new AdminEvents(), clock: () => 1, identityProviders: { ldap: (x) => x as never } });
    await withLdap.setIdentityProvider(admin, 'acme', 'ldap', { url: 'ldaps://x', bindPassword: 'hunter2' });
    expect(JSON.stringify(await service.getOrganisation(admin, 'acme'))).not.toContain('hunter2');
  });
});
