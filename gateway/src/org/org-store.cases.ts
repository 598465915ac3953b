// The contract every OrgStore passes (file, redis), run by each implementation's *.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import type { OrgStore } from './organisation.js';

export interface OrgStoreHarness {
  store: OrgStore;
  /** A second store over the same data: another gateway or the admin CLI. */
  openAnother(): Promise<OrgStore>;
  cleanup(): Promise<void>;
}

export function runOrgStoreCases(name: string, setup: () => Promise<OrgStoreHarness>): void {
  describe(`OrgStore contract: ${name}`, () => {
    let h: OrgStoreHarness | undefined;
    const open = async () => (h = await setup());
    afterEach(async () => {
      await h?.cleanup();
      h = undefined;
    });

    it('has no record for an organisation nobody changed', async () => {
      const { store } = await open();
      expect(await store.get('acme')).toBeNull();
      expect(await store.list()).toEqual([]);
    });

    it('makes the record with defaults on the first change', async () => {
      const { store } = await open();
      const org = await store.update('acme', (o) => void (o.name = 'Acme Ltd'), 1000);
      expect(org).toMatchObject({ id: 'acme', name: 'Acme Ltd', createdAt: 1000, updatedAt: 1000, teams: [], policy: {} });
      expect(org.security).toEqual({ requireTotp: false, allowList: [], idleMinutes: null });
      expect(await store.get('acme')).toEqual(org);
    });

    it('keeps createdAt, moves updatedAt and refuses to re-key the record', async () => {
      const { store } = await open();
      await store.update('acme', () => {}, 1000);
      const org = await store.update('acme', (o) => void (o.id = 'evil'), 2000);
      expect(org).toMatchObject({ id: 'acme', createdAt: 1000, updatedAt: 2000 });
      expect(await store.get('evil')).toBeNull();
    });

    it('stores nothing when the change throws', async () => {
      const { store } = await open();
      await store.update('acme', (o) => void (o.name = 'before'), 1);
      await expect(
        store.update('acme', (o) => {
          o.name = 'after';
          throw new Error('refused');
        }, 2),
      ).rejects.toThrow('refused');
      expect((await store.get('acme'))?.name).toBe('before');
    });

    it('loses no change when two writers update at once', async () => {
      const { store, openAnother } = await open();
      const other = await openAnother();
      await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? store : other).update('acme', (o) => void o.teams.push({ id: `t${i}`, name: `T${i}` }), i)),
      );
      expect((await store.get('acme'))?.teams.map((t) => t.id).sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7']);
      await other.close();
    });

    it('shows another process its changes, and lists records by id', async () => {
      const { store, openAnother } = await open();
      await store.update('zeta', () => {}, 1);
      const other = await openAnother();
      await other.update('acme', (o) => void (o.security.requireTotp = true), 2);
      await other.close();
      expect((await store.get('acme'))?.security.requireTotp).toBe(true);
      expect((await store.list()).map((o) => o.id)).toEqual(['acme', 'zeta']);
    });

    it('hands out copies', async () => {
      const { store } = await open();
      await store.update('acme', (o) => void o.security.allowList.push('192.0.2.0/24'), 1);
      const got = (await store.get('acme'))!;
      got.security.allowList.push('0.0.0.0/0');
      expect((await store.get('acme'))?.security.allowList).toEqual(['192.0.2.0/24']);
    });
  });
}
