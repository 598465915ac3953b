import type { OrgStore } from '../org/organisation.js';
import { effectivePolicy, type PolicySource, type SessionPolicy } from './org-policy.js';

/**
 * The PolicySource the gateway gives the session core: one read of the organisation record per call (the
 * file store caches it for up to a second, Redis is one HGET), so an administrator's change applies to the
 * next session at once, on every gateway.
 */
export class OrgStorePolicySource implements PolicySource {
  readonly #orgs: Pick<OrgStore, 'get'>;

  constructor(orgs: Pick<OrgStore, 'get'>) {
    this.#orgs = orgs;
  }

  async policyFor(orgId: string, teamId?: string | null): Promise<SessionPolicy> {
    const org = await this.#orgs.get(orgId);
    // A team that was deleted (or never existed) falls back to the organisation's policy, not to an error:
    // refusing a session because its technician's team vanished would help nobody.
    const team = teamId && org?.teams.some((t) => t.id === teamId) ? org.teamPolicies[teamId] : undefined;
    return effectivePolicy(org?.policy, team);
  }
}
