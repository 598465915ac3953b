import type { Power } from '../../../protocol/channels.js';
import type { ErrorCode } from '../../../protocol/error-codes.js';
import type { Role } from '../../../protocol/messages.js';
import { defaultSessionPolicy, type SessionPolicy } from '../policy/org-policy.js';
import type { ScreenVerdict } from '../screen/screen-router.js';
import type { PartySocket } from '../relay/party.js';
import type { CloseReason } from '../session/session-record.js';
import type { JoinHow, LiveEvent, LiveEventBus } from './live-events.js';
import { participantIdPrefix, type Participant, type Path } from './participant.js';

/**
 * What the session core calls of a session's screen module (gateway/src/screen/): it fans the customer's
 * screen frames out to the viewers and repairs any viewer that missed one before it gets another delta. Its
 * viewers follow the session's events (screen/session-screens.ts), not calls from here.
 */
export interface ScreenFanout {
  onFrame(frame: Uint8Array): ScreenVerdict;
  tick(now: number): void;
}

/** Technicians in one session at most (the one who picked it up and those attending). */
export const MAX_TECHNICIANS = 16;

/** Every change a live session can undergo; `apply` is the only way in. */
export type LiveChange =
  | { kind: 'add'; role: Role; name: string; technicianId?: string; tokenId?: string; conn: PartySocket | null; address?: string; how: JoinHow; id?: string; resumeHash?: string; recorded?: boolean }
  | { kind: 'lost'; id: string }
  | { kind: 'back'; id: string; conn: PartySocket; address?: string; resumeHash: string }
  | { kind: 'remove'; id: string; reason: CloseReason }
  | { kind: 'request'; by: string; power: Power }
  | { kind: 'grant'; power: Power }
  | { kind: 'revoke'; power: Power }
  | { kind: 'pass'; by: string; to: string }
  | { kind: 'anchor'; from: string | null; to: string }
  | { kind: 'path'; id: string; path: Path }
  | { kind: 'end'; reason: CloseReason }
  | { kind: 'recording_request'; by: string }
  | { kind: 'recording_answer'; by: string; answer: 'consented' | 'refused' };

export type ApplyResult = { ok: true; event: LiveEvent | null; participant?: Participant } | { ok: false; code: ErrorCode; message: string };

/**
 * A session this gateway runs (its anchor): who is in it, what the customer granted, who holds control, and
 * the deadlines. It changes only through `apply`, which checks the change, makes it and emits one typed event
 * on the bus (metrics, logs, notices, the registry copy and the audit log are subscribers). Connections,
 * handshakes and forwarding live around it (relay/, handshake/, cluster/anchor.ts).
 */
export class LiveSession {
  readonly participants = new Map<string, Participant>();
  /** Powers the customer has granted; empty until the customer says otherwise (consent by default). */
  readonly grants = new Set<Power>();
  /** The technician whose input reaches the customer's machine (while `control` is granted). */
  controller: string | null = null;
  /** Last message either way, for the idle timeout. */
  lastActivity: number;
  /**
   * A binary frame was relayed since the relay's last once-a-second tick, which then moves `lastActivity` to
   * its own `now`: a boolean store per frame instead of a clock read (relay/forward.ts).
   */
  relayedSinceTick = false;
  /** A customer and a technician have been connected together once: from then on a loss suspends, not ends. */
  everPaired = false;
  ended = false;
  /** What the organisation allows in this session (read once, at pickup): enforced at the gateway. */
  policy: SessionPolicy = defaultSessionPolicy;
  /** When the session was first paired (the start of its longest allowed duration). */
  pairedAt: number | null = null;
  /** The customer's agent said nobody is at the machine (join `unattended`), which the policy allowed. */
  unattended = false;
  /** Set when the screen module runs for this session; without it screen frames go straight to the viewers. */
  screen?: ScreenFanout;
  private nextNumber: Record<string, number> = { c: 1, t: 1, s: 1 };

  constructor(
    readonly guid: string,
    readonly orgId: string,
    readonly customerName: string,
    readonly expiresAt: number,
    /** When the customer joined (or the session came to this gateway): the start of the pairing latency. */
    readonly joinedAt: number,
    private readonly bus: LiveEventBus,
    private readonly now: () => number,
  ) {
    this.lastActivity = joinedAt;
  }

  get customer(): Participant | undefined {
    for (const p of this.participants.values()) if (p.role === 'customer') return p;
    return undefined;
  }

  /** Technicians in the session, in the order they came. */
  technicians(): Participant[] {
    return [...this.participants.values()].filter((p) => p.role === 'technician');
  }

  /** Connected technicians and system participants with `view` granted: who gets the screen. */
  viewers(): Participant[] {
    if (!this.grants.has('view')) return [];
    return [...this.participants.values()].filter((p) => p.role !== 'customer' && p.conn !== null);
  }

  /** Both sides present: a connected customer and at least one connected technician. */
  get paired(): boolean {
    return this.customer?.conn != null && this.technicians().some((t) => t.conn !== null);
  }

  /** Since when the session misses a side it needs (its customer, or every technician), or null. */
  get suspendedSince(): number | null {
    if (!this.everPaired) return null;
    const customer = this.customer;
    if (!customer || customer.conn === null) return customer?.lostAt ?? this.joinedAt;
    const technicians = this.technicians();
    if (technicians.length > 0 && technicians.every((t) => t.conn === null)) return Math.min(...technicians.map((t) => t.lostAt ?? this.joinedAt));
    return null;
  }

  /** The id the next participant of `role` gets, for a handshake that must name it before placing it (pickup). */
  nextId(role: Role): string {
    const prefix = participantIdPrefix(role);
    return `${prefix}${this.nextNumber[prefix]!}`;
  }

  /** The one transition function. Refusals are values (the caller turns them into error frames). */
  apply(change: LiveChange): ApplyResult {
    if (this.ended) return refuse('E_SESSION_CLOSED', 'the session has ended');
    const guid = this.guid;
    switch (change.kind) {
      case 'add': {
        if (change.role === 'customer' && this.customer) return refuse('E_SESSION_FULL', 'the session has a customer');
        if (change.role === 'technician' && this.technicians().length >= MAX_TECHNICIANS) return refuse('E_SESSION_FULL', `at most ${MAX_TECHNICIANS} technicians`);
        const prefix = participantIdPrefix(change.role);
        const id = change.id ?? this.nextId(change.role);
        const n = Number(id.slice(1));
        if (n >= this.nextNumber[prefix]!) this.nextNumber[prefix] = n + 1;
        const participant: Participant = {
          id,
          role: change.role,
          name: change.name,
          technicianId: change.technicianId,
          tokenId: change.tokenId,
          conn: change.conn,
          lostAt: change.conn ? null : this.now(),
          address: change.address,
          resumeHash: change.resumeHash,
          since: this.now(),
          path: 'relay',
        };
        this.participants.set(id, participant);
        // The technician who picks the session up holds control first; those who attend watch.
        if (change.role === 'technician' && this.controller === null && change.how === 'pickup') this.controller = id;
        return this.emit({ type: 'participant_joined', guid, participant, how: change.how, ...(change.recorded ? { recorded: true } : {}) }, participant);
      }
      case 'lost': {
        const p = this.participants.get(change.id);
        if (!p || p.conn === null) return { ok: true, event: null };
        p.conn = null;
        p.lostAt = this.now();
        return this.emit({ type: 'participant_lost', guid, participant: p }, p);
      }
      case 'back': {
        const p = this.participants.get(change.id);
        if (!p) return refuse('E_NO_SUCH_PARTICIPANT', `no participant ${change.id}`);
        const newAddress = p.address !== undefined && change.address !== undefined && p.address !== change.address;
        p.conn = change.conn;
        p.lostAt = null;
        // Tokens are single use: the one just presented is spent, the next is this hash's.
        p.resumeHash = change.resumeHash;
        if (change.address !== undefined) p.address = change.address;
        return this.emit({ type: 'participant_back', guid, participant: p, newAddress }, p);
      }
      case 'remove': {
        const p = this.participants.get(change.id);
        if (!p) return { ok: true, event: null };
        this.participants.delete(change.id);
        const event = this.emit({ type: 'participant_left', guid, participant: p, reason: change.reason }, p);
        // Control does not vanish with its holder: the technician who has been here longest takes it.
        if (this.controller === p.id) this.setController(this.technicians()[0]?.id ?? null);
        return event;
      }
      case 'request': {
        const by = this.participants.get(change.by);
        if (!by || by.role !== 'technician') return refuse('E_FORBIDDEN', 'only technicians request powers');
        return this.emit({ type: 'power_requested', guid, by, power: change.power });
      }
      case 'grant':
        if (this.grants.has(change.power)) return { ok: true, event: null };
        this.grants.add(change.power);
        return this.emit({ type: 'power_granted', guid, power: change.power });
      case 'revoke':
        if (!this.grants.has(change.power)) return { ok: true, event: null };
        this.grants.delete(change.power);
        return this.emit({ type: 'power_revoked', guid, power: change.power });
      case 'pass': {
        const by = this.participants.get(change.by);
        const to = this.participants.get(change.to);
        if (!by || (by.role !== 'customer' && by.id !== this.controller)) return refuse('E_NOT_CONTROLLER', 'only the technician holding control (or the customer) passes it');
        if (!to || to.role !== 'technician') return refuse('E_NO_SUCH_PARTICIPANT', `${change.to} is not a technician in this session`);
        if (to.id === this.controller) return { ok: true, event: null };
        return this.setController(to.id);
      }
      case 'anchor':
        return this.emit({ type: 'anchor_moved', guid, from: change.from, to: change.to });
      case 'path': {
        const p = this.participants.get(change.id);
        if (!p) return refuse('E_NO_SUCH_PARTICIPANT', `no participant ${change.id}`);
        if (p.path === change.path) return { ok: true, event: null };
        p.path = change.path;
        return this.emit({ type: 'path_changed', guid, participant: p, path: change.path }, p);
      }
      case 'end':
        this.ended = true;
        return this.emit({ type: 'ended', guid, reason: change.reason });
      case 'recording_request': {
        const by = this.participants.get(change.by);
        if (!by || by.role !== 'technician') return refuse('E_FORBIDDEN', 'only technicians ask for a recording');
        return this.emit({ type: 'recording_requested', guid, by });
      }
      case 'recording_answer': {
        const by = this.participants.get(change.by);
        if (!by || by.role !== 'customer') return refuse('E_FORBIDDEN', 'only the customer answers a recording request');
        return this.emit({ type: 'recording_answered', guid, by, answer: change.answer });
      }
    }
  }

  private setController(id: string | null): ApplyResult {
    const from = this.controller;
    this.controller = id;
    return this.emit({ type: 'control_passed', guid: this.guid, from, to: id });
  }

  private emit(event: LiveEvent, participant?: Participant): ApplyResult {
    this.bus.emit(event);
    return { ok: true, event, participant };
  }
}

const refuse = (code: ErrorCode, message: string): ApplyResult => ({ ok: false, code, message });
