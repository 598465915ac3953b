import type { FormField } from '../../../protocol/pre-session-form.js';
import type { OrgStore } from './organisation.js';

/** What the join handshake needs: the organisation's pre-session form. */
export interface FormSource {
  formFor(orgId: string): Promise<FormField[]>;
}

/**
 * One read of the organisation record per join (the file store caches it for up to a second, Redis is one
 * HGET), so an administrator's change applies to the next customer at once, on every gateway.
 */
export class OrgStoreFormSource implements FormSource {
  readonly #orgs: Pick<OrgStore, 'get'>;

  constructor(orgs: Pick<OrgStore, 'get'>) {
    this.#orgs = orgs;
  }

  async formFor(orgId: string): Promise<FormField[]> {
    return (await this.#orgs.get(orgId))?.preSessionForm ?? [];
  }
}
