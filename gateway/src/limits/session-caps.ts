import { GatewayError } from '../errors/gateway-error.js';
import type { Registry } from '../registry/registry.js';
import type { LimitCrossings } from './limit-crossings.js';

export interface SessionCapLimits {
  perTechnician: number;
  perOrg: number;
}

/** What a created session is counted under. */
export interface CappedSession {
  guid: string;
  orgId: string;
  createdBy: string;
  expiresAt: number;
}

/**
 * Caps on open sessions per technician and per organisation (issue 13: one technician created 5,000 sessions
 * in a second, each a live PIN for an hour, which raises a guesser's odds). A slot is taken atomically in the
 * registry before the session exists (reserve, then create) and freed when the session closes or expires; it
 * lapses by itself at the session's expiresAt, so a gateway that dies leaves nothing held for long.
 */
export class SessionCaps {
  readonly #registry: Pick<Registry, 'takeSlots' | 'releaseSlots'>;
  readonly #limits: SessionCapLimits;
  readonly #crossings: LimitCrossings | undefined;

  constructor(registry: Pick<Registry, 'takeSlots' | 'releaseSlots'>, limits: SessionCapLimits, crossings?: LimitCrossings) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`SessionCaps: ${name} must be a positive integer, got ${value}`);
    }
    this.#registry = registry;
    this.#limits = limits;
    this.#crossings = crossings;
  }

  /** Holds a slot for a session about to be created; throws GatewayError('E_SESSION_LIMIT') when a cap is reached. */
  async reserve(s: CappedSession): Promise<void> {
    // Both slots or neither, in one Redis command (the keys share the organisation's hash tag).
    const [mine, org] = await this.#registry.takeSlots(
      [{ key: technicianKey(s.orgId, s.createdBy), limit: this.#limits.perTechnician }, { key: orgKey(s.orgId), limit: this.#limits.perOrg }],
      s.guid,
      s.expiresAt,
    );
    if (mine && org) return;
    if (!mine) this.#crossings?.report('live_sessions', 'technician', s.createdBy, CROSSING_LOG_MS, { orgId: s.orgId });
    else this.#crossings?.report('live_sessions', 'organisation', s.orgId, CROSSING_LOG_MS);
    throw new GatewayError('E_SESSION_LIMIT');
  }

  /** Frees the session's slots (on close or expiry; also after a refused or failed create). */
  async release(s: Pick<CappedSession, 'guid' | 'orgId' | 'createdBy'>): Promise<void> {
    await this.#registry.releaseSlots([technicianKey(s.orgId, s.createdBy), orgKey(s.orgId)], s.guid);
  }
}

/** A technician (or organisation) at its cap is logged at most once a minute. */
const CROSSING_LOG_MS = 60_000;
const technicianKey = (orgId: string, technicianId: string) => `{sessions:${orgId}}tech:${technicianId}`;
const orgKey = (orgId: string) => `{sessions:${orgId}}org`;
