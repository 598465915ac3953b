// The contract every AccountStore passes (file, redis), run by each implementation's *.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountStore, TechnicianAccount } from './account-store.js';

export interface AccountStoreHarness {
  store: AccountStore;
  /** A second, independent store over the same backing data: another process, e.g. the admin CLI. */
  openAnother(): Promise<AccountStore>;
  cleanup(): Promise<void>;
}

export function account(overrides: Partial<TechnicianAccount> = {}): TechnicianAccount {
  return {
    id: 'tech-1',
    username: 'alice',
    orgId: 'acme',
    displayName: 'Alice Example',
    passwordHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==',
    disabled: false,
    tokenEpoch: 0,
    createdAt: 1_700_000_000_000,
    role: 'technician',
    ...overrides,
  };
}

export function runAccountStoreCases(name: string, setup: () => Promise<AccountStoreHarness>): void {
  describe(`AccountStore contract: ${name}`, () => {
    let h: AccountStoreHarness | undefined;
    const open = async () => (h = await setup());
    afterEach(async () => {
      await h?.cleanup();
      h = undefined;
    });

    it('finds a created account by username and by id', async () => {
      const { store } = await open();
      await store.create(account());
      expect(await store.getByUsername('alice')).toEqual(account());
      expect(await store.getById('tech-1')).toEqual(account());
    });

    it('answers null for unknown accounts', async () => {
      const { store } = await open();
      expect(await store.getByUsername('nobody')).toBeNull();
      expect(await store.getById('nope')).toBeNull();
      expect(await store.list()).toEqual([]);
    });

    it('refuses a taken username or id with E_BAD_REQUEST', async () => {
      const { store } = await open();
      await store.create(account());
      await expect(store.create(account({ id: 'tech-2' }))).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
      await expect(store.create(account({ username: 'bob' }))).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
      expect(await store.list()).toHaveLength(1);
    });

    it('lists every account, ordered by username', async () => {
      const { store } = await open();
      await store.create(account({ id: 'c', username: 'carol' }));
      await store.create(account({ id: 'a', username: 'alice' }));
      await store.create(account({ id: 'b', username: 'bob', orgId: 'other' }));
      expect((await store.list()).map((a) => a.username)).toEqual(['alice', 'bob', 'carol']);
    });

    it('updates fields and returns the new account', async () => {
      const { store } = await open();
      await store.create(account());
      const updated = await store.update('tech-1', { disabled: true, tokenEpoch: 3, passwordHash: 'scrypt$new' });
      expect(updated).toEqual(account({ disabled: true, tokenEpoch: 3, passwordHash: 'scrypt$new' }));
      expect(await store.getByUsername('alice')).toEqual(updated);
    });

    it('ignores attempts to patch id or createdAt', async () => {
      const { store } = await open();
      await store.create(account());
      // Not allowed by the type; a caller passing untyped data must still not re-key the account.
      await store.update('tech-1', { id: 'evil', createdAt: 1 } as never);
      expect(await store.getById('tech-1')).toEqual(account());
      expect(await store.getById('evil')).toBeNull();
    });

    it('renames an account and frees the old name', async () => {
      const { store } = await open();
      await store.create(account());
      await store.update('tech-1', { username: 'alicia' });
      expect(await store.getByUsername('alice')).toBeNull();
      expect((await store.getByUsername('alicia'))?.id).toBe('tech-1');
      await store.create(account({ id: 'tech-2' })); // 'alice' is free again
    });

    it('refuses a rename onto a taken username', async () => {
      const { store } = await open();
      await store.create(account());
      await store.create(account({ id: 'tech-2', username: 'bob' }));
      await expect(store.update('tech-2', { username: 'alice' })).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
      expect((await store.getByUsername('alice'))?.id).toBe('tech-1');
    });

    it('refuses to update an unknown account with E_BAD_REQUEST', async () => {
      const { store } = await open();
      await expect(store.update('ghost', { disabled: true })).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    });

    it('hands out copies: mutating a result does not change the store', async () => {
      const { store } = await open();
      await store.create(account());
      const got = (await store.getById('tech-1'))!;
      got.disabled = true;
      (await store.list())[0]!.tokenEpoch = 99;
      expect(await store.getById('tech-1')).toEqual(account());
    });

    it('shows changes made by another process without a restart', async () => {
      const { store, openAnother } = await open();
      await store.create(account());
      expect((await store.getById('tech-1'))?.disabled).toBe(false); // warm any cache
      const cli = await openAnother();
      await cli.update('tech-1', { disabled: true, tokenEpoch: 1 });
      await cli.create(account({ id: 'tech-2', username: 'bob' }));
      await cli.close();
      expect(await store.getById('tech-1')).toMatchObject({ disabled: true, tokenEpoch: 1 });
      expect((await store.getByUsername('bob'))?.id).toBe('tech-2');
    });

    it('keeps accounts durably: a fresh store sees them', async () => {
      const { store, openAnother } = await open();
      await store.create(account());
      await store.close();
      const again = await openAnother();
      expect(await again.getById('tech-1')).toEqual(account());
      await again.close();
    });

    it('reads an account stored without a role as a technician (migration on read)', async () => {
      const { store, openAnother } = await open();
      const legacy: Partial<TechnicianAccount> = account();
      delete legacy.role; // what every store held before roles existed
      await store.create(legacy as TechnicianAccount);
      expect((await store.getById('tech-1'))?.role).toBe('technician');
      expect((await store.getByUsername('alice'))?.role).toBe('technician');
      expect((await store.list())[0]?.role).toBe('technician');
      const other = await openAnother();
      expect((await other.getById('tech-1'))?.role).toBe('technician');
      await other.close();
    });

    it('keeps roles, teams, second factors and directory links, and changes them', async () => {
      const { store } = await open();
      const full = account({
        role: 'supervisor',
        teamId: 'night-shift',
        totp: { secret: 'JBSWY3DPEHPK3PXP', confirmed: true, lastStep: 7 },
        recoveryCodes: ['aa', 'bb'],
        source: 'ldap',
        externalId: 'uid=alice,ou=people,dc=example,dc=org',
      });
      await store.create(full);
      expect(await store.getById('tech-1')).toEqual(full);
      const updated = await store.update('tech-1', { role: 'administrator', teamId: null, totp: null, recoveryCodes: ['bb'] });
      expect(updated).toMatchObject({ role: 'administrator', teamId: null, totp: null, recoveryCodes: ['bb'], source: 'ldap' });
      expect(await store.getByUsername('alice')).toEqual(updated);
    });

    it('hands out deep copies: mutating nested fields does not change the store', async () => {
      const { store } = await open();
      await store.create(account({ recoveryCodes: ['aa'], totp: { secret: 'S', confirmed: false, lastStep: 0 } }));
      const got = (await store.getById('tech-1'))!;
      got.recoveryCodes!.pop();
      got.totp!.confirmed = true;
      expect(await store.getById('tech-1')).toMatchObject({ recoveryCodes: ['aa'], totp: { confirmed: false } });
    });

    it('closes twice without error', async () => {
      const { store } = await open();
      await store.close();
      await store.close();
    });
  });
}
