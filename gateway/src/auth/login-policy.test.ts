import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { FileOrgStore } from '../org/file-org-store.js';
import { AdminEvents } from './admin-events.js';
import { OrgLoginPolicy } from './login-policy.js';

it('reuses rules for cacheMs, and drops them at once on this gateway\'s own security.updated event', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'rd-loginpolicy-'));
  try {
    let now = 1_000_000;
    const orgs = new FileOrgStore({ dataDir });
    const events = new AdminEvents();
    const policy = new OrgLoginPolicy(orgs, { cacheMs: 1000, events, clock: () => now });
    await policy.checkSource('acme', '203.0.113.1'); // no rules yet: allowed, and now cached
    await orgs.update('acme', (o) => void (o.security.allowList = ['192.0.2.0/24']), now);
    await expect(policy.checkSource('acme', '203.0.113.1')).resolves.toBeUndefined(); // another process's change: not yet
    now += 1000;
    await expect(policy.checkSource('acme', '203.0.113.1')).rejects.toMatchObject({ code: 'E_IP_NOT_ALLOWED' });
    await orgs.update('acme', (o) => void ((o.security.allowList = []), (o.security.requireTotp = true)), now);
    events.emit({ type: 'security.updated', orgId: 'acme', requireTotp: true, allowList: [], idleMinutes: null, actor: { kind: 'operator' }, at: now });
    await expect(policy.checkSource('acme', '203.0.113.1')).resolves.toBeUndefined();
    expect(await policy.requiresSecondFactor('acme')).toBe(true);
    expect(await policy.idleMs('acme')).toBeNull();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
