import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileOrgStore } from '../org/file-org-store.js';
import { MemoryRegistry } from '../registry/memory-registry.js';
import { account } from './account-store.cases.js';
import { AuthService } from './auth-service.js';
import { tokenIdOf } from './bearer-token.js';
import { FileAccountStore } from './file-account-store.js';
import { OrgLoginPolicy } from './login-policy.js';
import { hashPassword } from './password.js';

const fast = { N: 2 ** 10, r: 8, p: 1 };

async function setup(idleMinutes: number | null) {
  let now = 1_800_000_000_000;
  const clock = () => now;
  const dataDir = await mkdtemp(join(tmpdir(), 'rd-idle-'));
  const registry = new MemoryRegistry({ clock });
  const accounts = new FileAccountStore({ dataDir });
  const orgs = new FileOrgStore({ dataDir });
  await accounts.create(account({ passwordHash: await hashPassword('pw', fast) }));
  if (idleMinutes !== null) await orgs.update('acme', (o) => void (o.security.idleMinutes = idleMinutes), now);
  const auth = new AuthService({ accounts, registry, clock, policy: new OrgLoginPolicy(orgs) }, { scryptParams: fast, tokenIdleMs: 10 * 60_000, tokenTtlMs: 8 * 3600_000 });
  const cleanup = async () => {
    await registry.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  return { auth, registry, advance: (ms: number) => (now += ms), cleanup };
}

describe('inactivity logout', () => {
  it('ends a token unused for the idle limit, long before its lifetime', async () => {
    const { auth, advance, cleanup } = await setup(null);
    try {
      const { token } = await auth.login('alice', 'pw', '192.0.2.1');
      advance(10 * 60_000 - 1);
      await expect(auth.authenticate(token)).resolves.toBeDefined();
      advance(10 * 60_000 + 1); // no use for 10 min since the last one moved lastUsedAt
      await expect(auth.authenticate(token)).rejects.toMatchObject({ code: 'E_TOKEN_INVALID', message: expect.stringMatching(/inactivity/) });
      // Gone for good, not just refused once.
      advance(-5 * 60_000);
      await expect(auth.authenticate(token)).rejects.toMatchObject({ code: 'E_TOKEN_INVALID' });
    } finally {
      await cleanup();
    }
  });

  it('keeps a token in use alive up to its lifetime, with a registry write at most every minute', async () => {
    const { auth, registry, advance, cleanup } = await setup(null);
    try {
      const { token } = await auth.login('alice', 'pw', '192.0.2.1');
      const id = tokenIdOf(token);
      const seenAt: number[] = [];
      for (let i = 0; i < 53; i++) {
        advance(9 * 60_000); // each use within the idle limit of the one before
        await auth.authenticate(token);
        seenAt.push((await registry.getToken(id))!.lastUsedAt!);
      }
      expect(new Set(seenAt).size).toBe(53); // every use after 9 minutes moved it
      advance(4 * 60_000); // 481 min: past the 8 h lifetime, though used 4 min ago
      await expect(auth.authenticate(token)).rejects.toMatchObject({ code: 'E_TOKEN_INVALID' });
      const { token: t2 } = await auth.login('alice', 'pw', '192.0.2.1');
      const before = (await registry.getToken(tokenIdOf(t2)))!.lastUsedAt;
      advance(30_000);
      await auth.authenticate(t2);
      expect((await registry.getToken(tokenIdOf(t2)))!.lastUsedAt).toBe(before); // within a minute: no write
    } finally {
      await cleanup();
    }
  });

  it('uses the organisation limit when it sets one', async () => {
    const { auth, advance, cleanup } = await setup(2);
    try {
      const { token } = await auth.login('alice', 'pw', '192.0.2.1');
      advance(2 * 60_000);
      await expect(auth.authenticate(token)).rejects.toMatchObject({ code: 'E_TOKEN_INVALID' });
    } finally {
      await cleanup();
    }
  });
});
