import { describe, expect, it } from 'vitest';
import { manualClock } from '../../test/gateway-harness.js';
import { newOrganisation, type Organisation } from './organisation.js';
import { ANY_FORMS_MS, OrgStoreFormSource } from './pre-session-form-source.js';

describe('OrgStoreFormSource', () => {
  it('says whether any organisation has a form from one list per ANY_FORMS_MS, and again at once after invalidate()', async () => {
    const clock = manualClock(1_000_000);
    const orgs: Organisation[] = [newOrganisation('plain', 0)];
    let lists = 0;
    const source = new OrgStoreFormSource({ get: async (id) => orgs.find((o) => o.id === id) ?? null, list: async () => (lists++, orgs) }, clock);
    expect(await source.anyForms()).toBe(false);
    const asking = newOrganisation('asking', 0);
    asking.preSessionForm = [{ key: 'order', label: 'Order number', required: true, maxLength: 12 }];
    orgs.push(asking);
    expect(await source.anyForms()).toBe(false); // believed for ANY_FORMS_MS
    expect(lists).toBe(1);
    source.invalidate();
    expect(await source.anyForms()).toBe(true);
    expect(await source.formFor('asking')).toEqual(asking.preSessionForm);
    expect(await source.formFor('plain')).toEqual([]);
    expect(await source.formFor('nobody')).toEqual([]);
    orgs.pop();
    clock.advance(ANY_FORMS_MS);
    // Past its time the old answer is given while the list is read again behind it.
    expect(await source.anyForms()).toBe(true);
    await new Promise((r) => setTimeout(r, 0));
    expect(await source.anyForms()).toBe(false);
    expect(lists).toBe(3);
  });
});
