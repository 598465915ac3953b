import type { SessionRecord, SessionState } from '../session/session-record.js';

/**
 * The shared state of the gateways: sessions, PINs, bearer tokens and counters.
 * Two implementations (memory, redis) pass the same contract suite, registry.cases.ts.
 *
 * Every operation that must be atomic touches a single key (or keys with one Redis Cluster hash tag),
 * so the same code runs on standalone Redis, Sentinel and Cluster.
 * Expected outcomes (not found, wrong state) are values; a registry outage throws
 * GatewayError('E_REGISTRY_UNAVAILABLE') quickly instead of hanging.
 */
export interface Registry {
  readonly kind: 'memory' | 'redis';

  /**
   * Stores a new session under a PIN that no live session holds. `nextPin` is called for candidates until
   * one is free (bounded attempts, then E_CAPACITY). The record's `pin` field is filled in by the registry.
   * The stored session (and its PIN) vanish at `record.expiresAt` unless a patch's ttlMs or touchSessions
   * moves that lifetime; the `expiresAt` field itself is caller data and only changes through a patch.
   */
  createSession(record: Omit<SessionRecord, 'pin'>, nextPin: () => string): Promise<SessionRecord>;
  getSession(guid: string): Promise<SessionRecord | null>;
  /** The GUID of the live session that holds this PIN, if any. */
  findGuidByPin(pin: string): Promise<string | null>;
  /** The live session that holds this PIN, if any: findGuidByPin and getSession in one call (fewer round trips). */
  findSessionByPin(pin: string): Promise<SessionRecord | null>;

  /**
   * Atomic compare-and-set. Applies `patch` only when the session exists, its state is one of
   * `when.states`, and (if given) its orgId equals `when.orgId`. This is what makes pickup atomic:
   * many racers, one `ok: true`.
   */
  updateSession(guid: string, when: UpdateCondition, patch: SessionPatch): Promise<UpdateResult>;
  /**
   * updateSession on the live session that holds `pin` (as findSessionByPin finds it): a customer's join in
   * one call, one round trip on a single Redis node instead of a lookup and then the compare-and-set.
   */
  updateSessionByPin(pin: string, when: UpdateCondition, patch: SessionPatch): Promise<UpdateResult>;

  /** Waiting sessions of one organisation, oldest first. */
  listWaiting(orgId: string): Promise<SessionRecord[]>;

  /**
   * Extends the lifetime of sessions this gateway still holds (so a crashed gateway leaves nothing stale):
   * each lives at least `ttlMs` from now. Never shortens a lifetime; unknown GUIDs are ignored.
   */
  touchSessions(guids: readonly string[], ttlMs: number): Promise<void>;

  putToken(tokenId: string, token: TokenRecord, ttlMs: number): Promise<void>;
  getToken(tokenId: string): Promise<TokenRecord | null>;
  deleteToken(tokenId: string): Promise<void>;

  /**
   * Counts one event under `key` in a fixed window of `windowMs` that starts with the first hit.
   * Returns the count including this hit. Used for rate limits and login lockout.
   */
  hit(key: string, windowMs: number): Promise<number>;
  /**
   * Takes back one hit of `key`: a reserved attempt that in the end does not count (a right PIN, a refused
   * attempt). Never goes below 0, never creates the counter, keeps its window.
   */
  unhit(key: string): Promise<void>;
  /** Current count of `key` (0 when absent or expired). */
  count(key: string): Promise<number>;
  /**
   * Several counter operations in one call (one command on Redis when the keys share a `{tag}`, the Redis
   * Cluster hash-tag rule, or anywhere off a Cluster), each as hit/unhit/count would do it; returns the count
   * after each, in order. Not atomic across keys.
   */
  counterBatch(ops: readonly CounterOp[]): Promise<number[]>;
  resetCounter(key: string): Promise<void>;

  /**
   * Holds one of at most `limit` slots under `key` for `member` until `expiresAt` (ms, the registry's clock)
   * or releaseSlot. Atomic: of any number of concurrent callers at most `limit` members hold a slot at once;
   * false when full. Taking a slot `member` already holds succeeds and moves its expiry. Used for caps on live
   * things (sessions per technician), where a counter could not follow what expires by itself.
   */
  takeSlot(key: string, member: string, expiresAt: number, limit: number): Promise<boolean>;
  /**
   * takeSlot over several sets at once, all or nothing: `member` gets a slot in every set or in none. Per set,
   * true when it had room. One command on Redis when the keys share a `{tag}` (or anywhere off a Cluster).
   */
  takeSlots(sets: readonly { key: string; limit: number }[], member: string, expiresAt: number): Promise<boolean[]>;
  releaseSlot(key: string, member: string): Promise<void>;
  /** releaseSlot over several sets (one command on Redis under the same condition as takeSlots). */
  releaseSlots(keys: readonly string[], member: string): Promise<void>;

  /** Announces (or refreshes) a gateway of the cluster; it vanishes `ttlMs` after its last refresh. */
  putGateway(gateway: GatewayRecord, ttlMs: number): Promise<void>;
  /** The live gateways, in no particular order. */
  listGateways(): Promise<GatewayRecord[]>;
  getGateway(id: string): Promise<GatewayRecord | null>;
  removeGateway(id: string): Promise<void>;

  /** True while the registry answers. The gateway's /readyz reports it. */
  isReady(): boolean;
  /**
   * Calls `listener` on every change of isReady() (not for the current state), so the gateway can log and
   * count outages without polling. Returns a function that removes the listener.
   */
  onReadyChange?(listener: ReadyListener): () => void;
  close(): Promise<void>;
}

export type CounterOp =
  | {
      op: 'hit';
      key: string;
      windowMs: number;
      /**
       * Index of an earlier op of the same batch: this hit happens only when that op's count is 0, otherwise
       * the op only reads its count. Saves the give-back of a hit that would not count (pin-guard.ts).
       */
      onlyIfZero?: number;
    }
  | { op: 'unhit' | 'count'; key: string };

export type ReadyListener = (ready: boolean) => void;

export interface UpdateCondition {
  states: readonly SessionState[];
  orgId?: string;
  /** Only while the record's expiresAt is after this time (ms); a record past it counts as in the wrong state. */
  aliveAt?: number;
}

export interface SessionPatch {
  set: Partial<Omit<SessionRecord, 'guid' | 'pin' | 'orgId' | 'createdBy' | 'createdAt'>>;
  /** Free the PIN for reuse (pickup, close, expiry). */
  releasePin?: boolean;
  /** New time to live of the record (and of its PIN while held), from now; replaces the old one. */
  ttlMs?: number;
  /** Instead of ttlMs: the new lifetime ends this long after the record's expiresAt (as stored before the patch). */
  ttlPastExpiresMs?: number;
}

export type UpdateResult =
  | { ok: true; session: SessionRecord }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'wrong_state' | 'wrong_org'; session: SessionRecord };

/** A bearer token as stored: only its SHA-256 (the token id) is a key; the token itself is never stored. */
export interface TokenRecord {
  technicianId: string;
  orgId: string;
  /** Account's token epoch when issued; bumping the epoch revokes every older token of the account. */
  epoch: number;
  expiresAt: number;
  // Optional, flat (the memory registry copies records shallowly); absent in records of older gateways.
  /** What the record is for; absent = a bearer token. A second-factor challenge is never a bearer token. */
  purpose?: 'bearer' | 'second-factor' | 'sso-state';
  /** Inactivity logout (auth/inactivity.ts): the token dies idleMs after lastUsedAt. */
  idleMs?: number;
  lastUsedAt?: number;
  /** second-factor: which step is due ('totp' or 'totp-enrol'); sso-state: which sign-on ('oidc', 'saml'). */
  step?: string;
  /** sso-state only: the PKCE code verifier and the nonce (secrets: never logged). */
  verifier?: string;
  nonce?: string;
  /** sso-state only: SHA-256 of the browser-binding cookie (auth/browser-binding.ts). */
  binding?: string;
}

/** A gateway as the cluster sees it; cluster/membership.ts refreshes its own every second. */
export interface GatewayRecord {
  id: string;
  /** Where clients reach it, e.g. https://gw1.example:8443. */
  publicUrl: string;
  /** host:port of its gateway-link listener (mutual TLS), for other gateways. */
  linkAddress: string;
  /** Open client connections now, and how many it accepts. */
  connections: number;
  capacity: number;
  /** Draining gateways take no new parties. */
  draining: boolean;
  startedAt: number;
  updatedAt: number;
}
