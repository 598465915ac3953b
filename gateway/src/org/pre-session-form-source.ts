import type { FormField } from '../../../protocol/pre-session-form.js';
import type { OrgStore } from './organisation.js';

/** What the join handshake needs: the organisation's pre-session form. */
export interface FormSource {
  /** Whether any organisation has a form (a hint that may lag a change by up to ANY_FORMS_MS). */
  anyForms(): Promise<boolean>;
  formFor(orgId: string): Promise<FormField[]>;
}

/** How long "does any organisation have a form" is believed: a form set now is asked for within this time. */
export const ANY_FORMS_MS = 5_000;

/**
 * Forms as the organisation records hold them. formFor reads the record at each join (the file store caches it
 * for up to a second, Redis is one HGET), so a changed form applies to the next customer. anyForms lets joins of
 * a deployment where no organisation asks anything skip that read and the session lookup before the claim
 * (handshake/join-form.ts): one list of the organisations every ANY_FORMS_MS, refreshed behind the answer.
 */
export class OrgStoreFormSource implements FormSource {
  readonly #orgs: Pick<OrgStore, 'get' | 'list'>;
  readonly #now: () => number;
  #any: boolean | null = null;
  #checkedAt = 0;
  #refreshing: Promise<boolean> | null = null;

  constructor(orgs: Pick<OrgStore, 'get' | 'list'>, now: () => number = Date.now) {
    this.#orgs = orgs;
    this.#now = now;
  }

  async anyForms(): Promise<boolean> {
    if (this.#any !== null && this.#now() - this.#checkedAt < ANY_FORMS_MS) return this.#any;
    this.#refreshing ??= this.#orgs
      .list()
      .then((all) => {
        this.#any = all.some((o) => o.preSessionForm.length > 0);
        this.#checkedAt = this.#now();
        return this.#any;
      })
      .finally(() => (this.#refreshing = null));
    // A stale answer while the list is read again (the first join waits for the first list).
    return this.#any ?? this.#refreshing;
  }

  /** A form changed through this process (admin API): believe nothing cached. Other gateways follow within ANY_FORMS_MS. */
  invalidate(): void {
    this.#any = null;
  }

  async formFor(orgId: string): Promise<FormField[]> {
    return (await this.#orgs.get(orgId))?.preSessionForm ?? [];
  }
}
