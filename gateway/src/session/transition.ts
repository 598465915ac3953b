import type { Registry, SessionPatch, UpdateCondition, UpdateResult } from '../registry/registry.js';
import { newPin, newSessionGuid } from './identifiers.js';
import type { CloseReason, SessionRecord, SessionState } from './session-record.js';

/**
 * The allowed state changes. `waiting → created` is a customer who disconnected before pickup: the PIN
 * stays valid until expiry so the customer can simply connect again.
 */
const allowedFrom: Record<SessionState, readonly SessionState[]> = {
  created: ['waiting'],
  waiting: ['created'],
  active: ['waiting'],
  closed: ['created', 'waiting', 'active'],
  expired: ['created', 'waiting'],
};

export type TransitionReason = CloseReason | 'created' | 'customer_joined' | 'customer_disconnected' | 'picked_up';

export interface TransitionEvent {
  guid: string;
  to: SessionState;
  reason: TransitionReason;
  session: SessionRecord;
}

/** Hooks fired after each successful change, so metrics and audit never sit inline (see STYLE.md). */
export type TransitionHook = (event: TransitionEvent) => void;

export interface TransitionRequest {
  reason: TransitionReason;
  /** Narrower than the allowed set, e.g. pickup accepts only 'waiting'. */
  from?: readonly SessionState[];
  /** Only a session of this organisation may change (pickup by a technician). */
  orgId?: string;
  set?: Partial<Pick<SessionRecord, 'customerName' | 'form' | 'technicianId' | 'technicianName' | 'anchorGateway' | 'expiresAt' | 'grants' | 'participants' | 'controller' | 'policy'>>;
  ttlMs?: number;
  /** Instead of ttlMs: the record lives this long past its expiresAt (a join, which does not read it first). */
  ttlPastExpiresMs?: number;
  /** Only a session whose expiresAt is after this time changes (else: wrong_state). */
  aliveAt?: number;
}

/** Sessions that are over linger briefly so late requests get E_SESSION_CLOSED rather than "not found". */
const FINISHED_TTL_MS = 60_000;

/** The one place session states change. Every change is an atomic compare-and-set in the registry. */
export class SessionLifecycle {
  constructor(
    private readonly registry: Registry,
    private readonly hooks: readonly TransitionHook[],
    private readonly now: () => number,
  ) {}

  /** A technician opens a session: fresh GUID, a PIN no live session holds, an expiry. */
  async create(req: { orgId: string; technicianId: string; ttlMs: number; pinDigits: number; guid?: string }): Promise<SessionRecord> {
    const now = this.now();
    const session = await this.registry.createSession(
      { guid: req.guid ?? newSessionGuid(), orgId: req.orgId, createdBy: req.technicianId, state: 'created', createdAt: now, updatedAt: now, expiresAt: now + req.ttlMs },
      () => newPin(req.pinDigits),
    );
    const event: TransitionEvent = { guid: session.guid, to: 'created', reason: 'created', session };
    for (const hook of this.hooks) hook(event);
    return session;
  }

  async transition(guid: string, to: SessionState, req: TransitionRequest): Promise<UpdateResult> {
    return this.change((when, patch) => this.registry.updateSession(guid, when, patch), to, req);
  }

  /** transition() of the live session that holds `pin` (a customer's join): one registry call, lookup included. */
  async transitionByPin(pin: string, to: SessionState, req: TransitionRequest): Promise<UpdateResult> {
    return this.change((when, patch) => this.registry.updateSessionByPin(pin, when, patch), to, req);
  }

  private async change(update: (when: UpdateCondition, patch: SessionPatch) => Promise<UpdateResult>, to: SessionState, req: TransitionRequest): Promise<UpdateResult> {
    const from = req.from ?? allowedFrom[to];
    for (const state of from) {
      if (!allowedFrom[to].includes(state)) throw new Error(`bug: transition ${state} → ${to} is not allowed`);
    }
    const finished = to === 'closed' || to === 'expired';
    const result = await update(
      { states: from, orgId: req.orgId, ...(req.aliveAt !== undefined ? { aliveAt: req.aliveAt } : {}) },
      {
        set: {
          ...req.set,
          state: to,
          updatedAt: this.now(),
          ...(finished ? { closeReason: req.reason as CloseReason } : {}),
        },
        // The PIN is spent once a technician has the session or it is over.
        releasePin: to === 'active' || finished,
        ttlMs: req.ttlMs ?? (finished && req.ttlPastExpiresMs === undefined ? FINISHED_TTL_MS : undefined),
        ...(req.ttlPastExpiresMs !== undefined ? { ttlPastExpiresMs: req.ttlPastExpiresMs } : {}),
      },
    );
    if (result.ok) {
      const event: TransitionEvent = { guid: result.session.guid, to, reason: req.reason, session: result.session };
      for (const hook of this.hooks) hook(event);
    }
    return result;
  }
}
