import { GatewayError } from '../errors/gateway-error.js';
import type { Organisation, OrgStore } from '../org/organisation.js';
import { IpAllowList } from './ip-allow-list.js';

/** The organisation rules a login and every technician request meet (answered per organisation). */
export interface LoginPolicy {
  /** Throws GatewayError('E_IP_NOT_ALLOWED') when accounts of `orgId` may not log in or work from `ip`. */
  checkSource(orgId: string, ip: string): Promise<void>;
  /** Whether every password login of `orgId` needs a second factor (those not enrolled enrol first). */
  requiresSecondFactor(orgId: string): Promise<boolean>;
  /** How long a token of `orgId` lives without use (inactivity logout), ms; null = the gateway's default. */
  idleMs(orgId: string): Promise<number | null>;
}

/** No organisation rules: every address, no required second factor, the gateway's inactivity default. */
export const openLoginPolicy: LoginPolicy = {
  checkSource: async () => {},
  requiresSecondFactor: async () => false,
  idleMs: async () => null,
};

/**
 * The LoginPolicy from organisation records. Each call reads the record (file store: cached up to a second;
 * Redis: one HGET), so an administrator's change applies at once; compiled allow-lists are kept per list.
 */
export class OrgLoginPolicy implements LoginPolicy {
  readonly #orgs: Pick<OrgStore, 'get'>;
  /** Compiled lists by their text; bounded because the number of distinct lists is (one per organisation). */
  readonly #compiled = new Map<string, IpAllowList>();

  constructor(orgs: Pick<OrgStore, 'get'>) {
    this.#orgs = orgs;
  }

  async checkSource(orgId: string, ip: string): Promise<void> {
    const org = await this.#orgs.get(orgId);
    if (!org || org.security.allowList.length === 0) return;
    if (!this.#listOf(org).allows(ip)) throw new GatewayError('E_IP_NOT_ALLOWED');
  }

  async requiresSecondFactor(orgId: string): Promise<boolean> {
    return (await this.#orgs.get(orgId))?.security.requireTotp ?? false;
  }

  async idleMs(orgId: string): Promise<number | null> {
    const minutes = (await this.#orgs.get(orgId))?.security.idleMinutes ?? null;
    return minutes === null ? null : minutes * 60_000;
  }

  #listOf(org: Organisation): IpAllowList {
    const key = org.security.allowList.join(',');
    let list = this.#compiled.get(key);
    if (!list) {
      if (this.#compiled.size > 1000) this.#compiled.clear();
      list = new IpAllowList(org.security.allowList);
      this.#compiled.set(key, list);
    }
    return list;
  }
}
