import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../registry/memory-registry.js';
import { FileOrgStore } from '../org/file-org-store.js';
import { account } from './account-store.cases.js';
import { AuthService } from './auth-service.js';
import { FileAccountStore } from './file-account-store.js';
import { cidrProblem, IpAllowList, parseAllowList } from './ip-allow-list.js';
import { OrgLoginPolicy } from './login-policy.js';
import { hashPassword } from './password.js';

describe('IpAllowList', () => {
  it('matches IPv4 and IPv6 blocks, single addresses and IPv4-mapped IPv6', () => {
    const list = new IpAllowList(['192.0.2.0/24', '2001:db8:10::/48', '198.51.100.7']);
    expect(list.allows('192.0.2.200')).toBe(true);
    expect(list.allows('::ffff:192.0.2.9')).toBe(true); // what a dual-stack socket reports
    expect(list.allows('192.0.3.1')).toBe(false);
    expect(list.allows('198.51.100.7')).toBe(true);
    expect(list.allows('198.51.100.8')).toBe(false);
    expect(list.allows('2001:db8:10:ffff::1')).toBe(true);
    expect(list.allows('[2001:db8:10::1]')).toBe(true);
    expect(list.allows('2001:db8:11::1')).toBe(false);
    expect(list.allows('not-an-ip')).toBe(false);
  });

  it('allows everyone when empty, and /0 means everything of one family', () => {
    expect(new IpAllowList([]).allows('203.0.113.1')).toBe(true);
    const v4 = new IpAllowList(['0.0.0.0/0']);
    expect(v4.allows('203.0.113.1')).toBe(true);
    expect(v4.allows('2001:db8::1')).toBe(false);
  });

  it('refuses malformed blocks with a clear E_BAD_REQUEST', () => {
    for (const bad of ['192.0.2.0/33', '2001:db8::/129', '192.0.2/24', 'example.org', '192.0.2.0/24/1', '10.0.0.0/-1', 42]) {
      expect(cidrProblem(bad), String(bad)).not.toBeNull();
      expect(() => parseAllowList([bad])).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST' }));
    }
    expect(() => parseAllowList('192.0.2.0/24')).toThrow(/array/);
    expect(() => parseAllowList(Array.from({ length: 257 }, () => '192.0.2.1'))).toThrow(/at most 256/);
    expect(parseAllowList(['192.0.2.0/24', '192.0.2.0/24'])).toEqual(['192.0.2.0/24']);
  });
});

describe('allow-list at login and on every request', () => {
  it('refuses a technician outside the list with E_IP_NOT_ALLOWED, after the password check', async () => {
    const fast = { N: 2 ** 10, r: 8, p: 1 };
    const dataDir = await mkdtemp(join(tmpdir(), 'rd-allow-'));
    const registry = new MemoryRegistry({});
    try {
      const accounts = new FileAccountStore({ dataDir });
      const orgs = new FileOrgStore({ dataDir });
      await accounts.create(account({ passwordHash: await hashPassword('pw', fast) }));
      const auth = new AuthService({ accounts, registry, policy: new OrgLoginPolicy(orgs) }, { scryptParams: fast });
      const { token } = await auth.login('alice', 'pw', '203.0.113.5');
      await orgs.update('acme', (o) => void (o.security.allowList = ['192.0.2.0/24', '2001:db8::/32']), 1);
      await expect(auth.login('alice', 'pw', '203.0.113.5')).rejects.toMatchObject({ code: 'E_IP_NOT_ALLOWED' });
      // A wrong password from outside is a plain wrong password: the list says nothing about the account.
      await expect(auth.login('alice', 'wrong', '203.0.113.5')).rejects.toMatchObject({ code: 'E_AUTH_FAILED' });
      await expect(auth.login('alice', 'pw', '2001:db8::5')).resolves.toBeDefined();
      // A token issued before still works only from inside the list.
      await expect(auth.authenticate(token, '203.0.113.5')).rejects.toMatchObject({ code: 'E_IP_NOT_ALLOWED' });
      await expect(auth.authenticate(token, '::ffff:192.0.2.1')).resolves.toMatchObject({ username: 'alice' });
    } finally {
      await registry.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
