import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthService } from '../auth/auth-service.js';
import { AdminEvents, type AdminEvent } from '../auth/admin-events.js';
import { FileAccountStore } from '../auth/file-account-store.js';
import { FileOrgStore } from '../org/file-org-store.js';
import { MemoryRegistry } from '../registry/memory-registry.js';
import { adminUsage, exitFailed, exitOk, exitUsage, runAdmin } from './admin-commands.js';

const fast = { N: 2 ** 10, r: 8, p: 1 };
const created = Date.UTC(2026, 10, 24, 12, 0, 0);
let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.map((c) => c()));
  cleanups = [];
});

async function setup() {
  const dataDir = await mkdtemp(join(tmpdir(), 'rd-admin-'));
  const registry = new MemoryRegistry({ clock: () => created });
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }), () => registry.close());
  const accounts = new FileAccountStore({ dataDir });
  // The gateway is another process with its own store over the same file.
  const auth = new AuthService({ accounts: new FileAccountStore({ dataDir }), registry, clock: () => created }, { scryptParams: fast });
  const orgs = new FileOrgStore({ dataDir });
  const events = new AdminEvents();
  const seen: AdminEvent[] = [];
  events.on((e) => seen.push(e));
  let lines: string[] = [];
  const run = async (...argv: string[]) => {
    lines = [];
    const code = await runAdmin(argv, { accounts, orgs, events, out: (l) => lines.push(l), clock: () => created, scryptParams: fast });
    return { code, out: lines.join('\n') };
  };
  const passwordIn = (out: string) => /one-time password: (\S+)/.exec(out)?.[1] ?? '';
  return { run, accounts, orgs, auth, passwordIn, seen };
}

describe('admin create', () => {
  it('creates a technician and prints a working one-time password once', async () => {
    const { run, auth, passwordIn, accounts } = await setup();
    const { code, out } = await run('create', 'Alice', '--org', 'acme', '--name', 'Alice Example');
    expect(code).toBe(exitOk);
    const password = passwordIn(out);
    expect(password).toHaveLength(20);
    expect(out.split(password)).toHaveLength(2); // printed exactly once
    expect(await accounts.getByUsername('alice')).toMatchObject({ orgId: 'acme', displayName: 'Alice Example', disabled: false, createdAt: created });
    await expect(auth.login('alice', password, '192.0.2.1')).resolves.toMatchObject({ technician: { username: 'alice' } });
  });

  it('accepts --org=value and defaults the display name to the username', async () => {
    const { run, accounts } = await setup();
    expect((await run('create', 'bob', '--org=acme')).code).toBe(exitOk);
    expect((await accounts.getByUsername('bob'))?.displayName).toBe('bob');
  });

  it('refuses a duplicate username, case-insensitively', async () => {
    const { run } = await setup();
    await run('create', 'alice', '--org', 'acme');
    const { code, out } = await run('create', 'ALICE', '--org', 'other');
    expect(code).toBe(exitFailed);
    expect(out).toBe('error: a technician named "alice" already exists');
  });

  it('refuses bad usernames, org ids and display names as usage errors', async () => {
    const { run, accounts } = await setup();
    for (const [argv, message] of [
      [['create', 'al ice', '--org', 'acme'], /bad username "al ice"/],
      [['create', '-alice', '--org', 'acme'], /bad username/],
      [['create', 'alice', '--org', 'Acme Corp'], /bad org id "Acme Corp"/],
      [['create', 'alice', '--org', ''], /bad org id/],
      [['create', 'alice'], /needs --org/],
      [['create', '--org', 'acme'], /username is required/],
      [['create', 'alice', '--org'], /--org needs a value/],
      [['create', 'alice', '--org', 'acme', '--orgg', 'x'], /unknown option --orgg/],
      [['create', 'alice', 'bob', '--org', 'acme'], /unexpected arguments: bob/],
      [['create', 'alice', '--org', 'acme', '--name', 'evil\u001b[2J'], /bad display name/],
    ] as const) {
      const { code, out } = await run(...argv);
      expect(code, argv.join(' ')).toBe(exitUsage);
      expect(out).toMatch(message);
    }
    expect(await accounts.list()).toEqual([]);
  });
});

describe('admin list', () => {
  it('prints a table without password hashes', async () => {
    const { run } = await setup();
    await run('create', 'bob', '--org', 'beta', '--name', 'Bob B');
    await run('create', 'alice', '--org', 'acme', '--name', 'Alice Example');
    await run('disable', 'bob');
    const { code, out } = await run('list');
    expect(code).toBe(exitOk);
    expect(out.split('\n')).toEqual([
      'USERNAME  ORG   DISPLAY NAME   DISABLED  CREATED',
      'alice     acme  Alice Example  no        2026-11-24T12:00:00.000Z',
      'bob       beta  Bob B          yes       2026-11-24T12:00:00.000Z',
    ]);
    expect(out).not.toContain('scrypt');
  });

  it('says so when there are no technicians', async () => {
    const { run } = await setup();
    expect((await run('list')).out).toMatch(/no technicians yet/);
  });
});

describe('admin disable / enable / reset-password / revoke-tokens', () => {
  async function withAlice() {
    const s = await setup();
    const password = s.passwordIn((await s.run('create', 'alice', '--org', 'acme')).out);
    const { token } = await s.auth.login('alice', password, '192.0.2.1');
    return { ...s, password, token };
  }

  it('disable blocks login and revokes live tokens; enable allows login but not the old tokens', async () => {
    const { run, auth, password, token } = await withAlice();
    expect((await run('disable', 'alice')).code).toBe(exitOk);
    await expect(auth.authenticate(token)).rejects.toMatchObject({ code: 'E_TOKEN_INVALID' });
    await expect(auth.login('alice', password, '192.0.2.1')).rejects.toMatchObject({ code: 'E_AUTH_FAILED' });
    expect((await run('enable', 'alice')).code).toBe(exitOk);
    await expect(auth.authenticate(token)).rejects.toMatchObject({ code: 'E_TOKEN_INVALID' });
    await expect(auth.login('alice', password, '192.0.2.1')).resolves.toBeDefined();
  });

  it('reset-password prints a new password, retires the old one and revokes tokens', async () => {
    const { run, auth, password, token, passwordIn } = await withAlice();
    const { code, out } = await run('reset-password', 'alice');
    expect(code).toBe(exitOk);
    const fresh = passwordIn(out);
    expect(fresh).not.toBe(password);
    await expect(auth.authenticate(token)).rejects.toMatchObject({ code: 'E_TOKEN_INVALID' });
    await expect(auth.login('alice', password, '192.0.2.1')).rejects.toMatchObject({ code: 'E_AUTH_FAILED' });
    await expect(auth.login('alice', fresh, '192.0.2.1')).resolves.toBeDefined();
  });

  it('revoke-tokens logs the technician out everywhere but keeps the password', async () => {
    const { run, auth, password, token } = await withAlice();
    expect((await run('revoke-tokens', 'alice')).code).toBe(exitOk);
    await expect(auth.authenticate(token)).rejects.toMatchObject({ code: 'E_TOKEN_INVALID' });
    await expect(auth.login('alice', password, '192.0.2.1')).resolves.toBeDefined();
  });

  it('reports an unknown user for every command that takes one', async () => {
    const { run } = await setup();
    for (const cmd of ['disable', 'enable', 'reset-password', 'revoke-tokens']) {
      const { code, out } = await run(cmd, 'ghost');
      expect(code, cmd).toBe(exitFailed);
      expect(out).toBe('error: no technician named "ghost"');
    }
  });
});

describe('admin roles, organisations and teams', () => {
  it('creates with a role and a team, changes the role, and shows both in the list', async () => {
    const { run, accounts, orgs, seen } = await setup();
    expect((await run('create-org', 'acme', '--name', 'Acme Ltd')).out).toBe('organisation "acme" is named "Acme Ltd"');
    expect((await run('create-team', 'acme', 'l1', '--name', 'First line')).code).toBe(exitOk);
    expect((await orgs.get('acme'))?.teams).toEqual([{ id: 'l1', name: 'First line' }]);
    expect((await run('create', 'alice', '--org', 'acme', '--role', 'supervisor', '--team', 'l1')).out).toMatch(/^created supervisor "alice" in org "acme"/);
    expect(await accounts.getByUsername('alice')).toMatchObject({ role: 'supervisor', teamId: 'l1' });
    expect((await run('set-role', 'alice', 'administrator')).out).toBe('"alice" is now an administrator');
    expect((await run('list')).out.split('\n')).toEqual([
      'USERNAME  ORG   DISPLAY NAME  ROLE           TEAM  DISABLED  CREATED',
      'alice     acme  alice         administrator  l1    no        2026-11-24T12:00:00.000Z',
    ]);
    expect(seen.map((e) => e.type)).toEqual(['org.updated', 'team.created', 'technician.created', 'technician.updated']);
    expect(seen.every((e) => e.actor.kind === 'operator' && e.at === created)).toBe(true);
    expect(JSON.stringify(seen)).not.toMatch(/scrypt|one-time/);
  });

  it('shows and sets policies and login security through the same checks as the API', async () => {
    const { run, seen } = await setup();
    await run('create-team', 'acme', 'l1');
    const set = await run('policy', 'acme', '--team', 'l1', '--set', '{"allowedPowers":["view"],"recording":"always"}');
    expect(set.code).toBe(exitOk);
    expect(JSON.parse(set.out)).toMatchObject({ effective: { allowedPowers: ['view'], recording: 'always' }, runningSessions: expect.stringMatching(/from now on/) });
    expect(JSON.parse((await run('policy', 'acme')).out).effective.allowedPowers).toHaveLength(5);
    expect(await run('policy', 'acme', '--set', '{"recording":"sometimes"}')).toMatchObject({ code: exitFailed, out: expect.stringMatching(/policy: recording/) });
    expect((await run('policy', 'acme', '--set', 'not json')).code).toBe(exitUsage);
    const sec = await run('security', 'acme', '--set', '{"requireTotp":true,"allowList":["192.0.2.0/24"]}');
    expect(JSON.parse(sec.out)).toEqual({ requireTotp: true, allowList: ['192.0.2.0/24'], idleMinutes: null });
    expect(await run('security', 'acme', '--set', '{"allowList":["192.0.2.0/33"]}')).toMatchObject({ code: exitFailed, out: expect.stringMatching(/prefix length/) });
    expect(seen.map((e) => e.type)).toEqual(['team.created', 'policy.updated', 'security.updated']);
  });

  it('shows, replaces and removes the pre-session form; a bad definition changes nothing', async () => {
    const { run, orgs, seen } = await setup();
    expect(JSON.parse((await run('form', 'acme')).out)).toEqual([]);
    const set = await run('form', 'acme', '--set', '[{"key":"order","label":"Order number","required":true,"maxLength":12},{"key":"device","label":"Device"}]');
    expect(set.code).toBe(exitOk);
    const want = [
      { key: 'order', label: 'Order number', required: true, maxLength: 12 },
      { key: 'device', label: 'Device', required: false, maxLength: 100 },
    ];
    expect(JSON.parse(set.out)).toEqual(want);
    expect(await run('form', 'acme', '--set', '[{"key":"a","label":"A"},{"key":"a","label":"B"}]')).toMatchObject({ code: exitFailed, out: expect.stringMatching(/keys must differ/) });
    expect(await run('form', 'acme', '--set', '[{"key":"a","label":"A","maxLength":5000}]')).toMatchObject({ code: exitFailed, out: expect.stringMatching(/^error: form: 0\.maxLength/) });
    expect(await run('form', 'acme', '--set', '[{"key":"a","label":"A","colour":"red"}]')).toMatchObject({ code: exitFailed });
    expect((await orgs.get('acme'))?.preSessionForm).toEqual(want);
    expect(JSON.parse((await run('form', 'acme', '--set', '[]')).out)).toEqual([]);
    expect(seen.map((e) => e.type)).toEqual(['org.updated', 'org.updated']);
  });

  it('refuses a bad role, an unknown team and a duplicate team', async () => {
    const { run } = await setup();
    expect(await run('create', 'alice', '--org', 'acme', '--role', 'root')).toMatchObject({ code: exitUsage, out: expect.stringMatching(/bad role "root"/) });
    expect(await run('create', 'alice', '--org', 'acme', '--team', 'ghost')).toEqual({ code: exitFailed, out: 'error: no team "ghost"' });
    await run('create-team', 'acme', 'l1');
    expect(await run('create-team', 'acme', 'l1')).toEqual({ code: exitFailed, out: 'error: a team "l1" exists' });
    await run('create', 'bob', '--org', 'acme');
    expect((await run('set-role', 'bob', 'king')).code).toBe(exitUsage);
    expect(await run('set-role', 'ghost', 'supervisor')).toEqual({ code: exitFailed, out: 'error: no technician named "ghost"' });
  });
});

describe('admin usage', () => {
  it('prints usage for help (exit 0), no command (exit 2) and an unknown command (exit 2)', async () => {
    const { run } = await setup();
    expect(await run('help')).toEqual({ code: exitOk, out: adminUsage });
    expect(await run()).toEqual({ code: exitUsage, out: adminUsage });
    const unknown = await run('delete', 'alice');
    expect(unknown.code).toBe(exitUsage);
    expect(unknown.out).toMatch(/^error: unknown command "delete"\nusage:/);
  });
});
