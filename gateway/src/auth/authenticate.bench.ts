// Run: npx vitest bench --run gateway/src/auth/authenticate.bench.ts — what the organisation rules (allow-list
// lookup on every request, inactivity bookkeeping) add to a token check, side by side with a check without them.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { FileOrgStore } from '../org/file-org-store.js';
import { MemoryRegistry } from '../registry/memory-registry.js';
import { account } from './account-store.cases.js';
import { AuthService } from './auth-service.js';
import { FileAccountStore } from './file-account-store.js';
import { OrgLoginPolicy } from './login-policy.js';
import { hashPassword } from './password.js';

const fast = { N: 2 ** 10, r: 8, p: 1 };
const dataDir = mkdtempSync(join(tmpdir(), 'rd-auth-bench-'));
// The gateway's settings: both file stores look at the disk at most once a second.
const accounts = new FileAccountStore({ dataDir, recheckMs: 1000 });
const orgs = new FileOrgStore({ dataDir, recheckMs: 1000 });
await accounts.create(account({ passwordHash: await hashPassword('pw', fast) }));
await orgs.update('acme', (o) => void (o.security.allowList = ['192.0.2.0/24', '198.51.100.0/24', '2001:db8::/32']), Date.now());
const registry = new MemoryRegistry({});
const plain = new AuthService({ accounts, registry }, { scryptParams: fast });
const ruled = new AuthService({ accounts, registry, policy: new OrgLoginPolicy(orgs, { cacheMs: 1000 }) }, { scryptParams: fast });
const uncached = new AuthService({ accounts, registry, policy: new OrgLoginPolicy(orgs) }, { scryptParams: fast });
const { token } = await plain.login('alice', 'pw', '192.0.2.1');

describe('authenticate (one technician request)', () => {
  bench('token only (no organisation rules)', async () => {
    await plain.authenticate(token);
  });
  bench('token + allow-list of 3 blocks (rules cached 1 s, as the gateway runs)', async () => {
    await ruled.authenticate(token, '198.51.100.7');
  });
  bench('token + allow-list of 3 blocks (a store read per request)', async () => {
    await uncached.authenticate(token, '198.51.100.7');
  });
});
