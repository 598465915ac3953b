import { systemClock, type Clock } from '../clock.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { SessionRecord } from '../session/session-record.js';
import { ExpiryWheel } from './expiry-wheel.js';
import type { CounterOp, GatewayRecord, ReadyListener, Registry, SessionPatch, TokenRecord, UpdateCondition, UpdateResult } from './registry.js';
import { checkTtl, maxPinAttempts, oldestFirst, patchEntries, patchTtl } from './registry-rules.js';

export interface MemoryRegistryOptions {
  /** Decides every expiry; tests pass a fake one. */
  clock?: Clock;
  /** Period of the one sweep ticker that frees expired entries (reads are exact regardless). */
  sweepIntervalMs?: number;
}

// Owned by the registry; `deadline` is the registry's own lifetime of the entry (the Redis key TTL
// in the other implementation), separate from the record's `expiresAt`, which is caller data.
interface SessionEntry {
  record: SessionRecord;
  deadline: number;
  /** Whether `pins` still maps record.pin to this session (false after releasePin). */
  pinHeld: boolean;
}

interface Expiring<T> {
  value: T;
  deadline: number;
}

/**
 * The embedded default registry: everything in this process, every operation O(1) except listWaiting
 * (O(waiting sessions of that org)). Entries vanish at their deadline exactly as Redis keys do: reads
 * check the deadline against the clock, and one coarse ticker frees what nobody reads.
 */
export class MemoryRegistry implements Registry {
  readonly kind = 'memory' as const;
  private readonly clock: Clock;
  private readonly sessions = new Map<string, SessionEntry>();
  private readonly pins = new Map<string, string>();
  /** orgId → waiting sessions of that org, so listing never scans all sessions. */
  private readonly waiting = new Map<string, Set<string>>();
  private readonly tokens = new Map<string, Expiring<TokenRecord>>();
  private readonly counters = new Map<string, Expiring<number>>();
  private readonly gateways = new Map<string, Expiring<GatewayRecord>>();
  /** key → member → expiry (takeSlot); the wheel frees a key once its last member may have expired. */
  private readonly slots = new Map<string, Map<string, number>>();
  private readonly sessionWheel: ExpiryWheel<string>;
  private readonly tokenWheel: ExpiryWheel<string>;
  private readonly counterWheel: ExpiryWheel<string>;
  private readonly slotWheel: ExpiryWheel<string>;
  private ticker: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly readyListeners = new Set<ReadyListener>();

  constructor(options: MemoryRegistryOptions = {}) {
    this.clock = options.clock ?? systemClock;
    const sweepMs = options.sweepIntervalMs ?? 1000;
    const now = this.clock();
    this.sessionWheel = new ExpiryWheel(sweepMs, now);
    this.tokenWheel = new ExpiryWheel(sweepMs, now);
    this.counterWheel = new ExpiryWheel(sweepMs, now);
    this.slotWheel = new ExpiryWheel(sweepMs, now);
    this.ticker = setInterval(() => this.sweep(), sweepMs);
    // The ticker only frees memory; it must not keep a finished process alive.
    this.ticker.unref();
  }

  /** Entries held, counting expired ones the sweep has not freed yet. For tests and metrics. */
  get size(): { sessions: number; pins: number; tokens: number; counters: number; waitingOrgs: number } {
    return {
      sessions: this.sessions.size,
      pins: this.pins.size,
      tokens: this.tokens.size,
      counters: this.counters.size,
      waitingOrgs: this.waiting.size,
    };
  }

  /** Frees every entry whose deadline has passed. The ticker calls it; tests may call it directly. */
  sweep(): void {
    const now = this.clock();
    this.sessionWheel.sweep(now, (guid) => {
      const entry = this.sessions.get(guid);
      // Still alive can only mean the deadline moved without the wheel hearing of it; keep it scheduled.
      if (entry && this.liveSession(guid, entry, now)) this.sessionWheel.schedule(guid, entry.deadline);
    });
    this.tokenWheel.sweep(now, (id) => {
      const entry = this.live(this.tokens, this.tokenWheel, id, now);
      if (entry) this.tokenWheel.schedule(id, entry.deadline);
    });
    this.counterWheel.sweep(now, (key) => {
      const entry = this.live(this.counters, this.counterWheel, key, now);
      if (entry) this.counterWheel.schedule(key, entry.deadline);
    });
    this.slotWheel.sweep(now, (key) => {
      const latest = this.liveSlots(key, now);
      if (latest !== undefined) this.slotWheel.schedule(key, latest);
    });
  }

  async createSession(record: Omit<SessionRecord, 'pin'>, nextPin: () => string): Promise<SessionRecord> {
    this.checkOpen();
    const now = this.clock();
    if (this.getEntry(record.guid, now)) throw new Error(`session ${record.guid} already exists`);
    for (let attempt = 0; attempt < maxPinAttempts; attempt++) {
      const pin = nextPin();
      const holder = this.pins.get(pin);
      // A PIN whose session expired but was not swept yet is free: getEntry drops it on the way.
      if (holder !== undefined && this.getEntry(holder, now)) continue;
      const stored: SessionRecord = { ...record, pin };
      const entry: SessionEntry = { record: stored, deadline: record.expiresAt, pinHeld: true };
      this.sessions.set(stored.guid, entry);
      this.pins.set(pin, stored.guid);
      this.sessionWheel.schedule(stored.guid, entry.deadline);
      if (stored.state === 'waiting') this.indexWaiting(stored);
      return { ...stored };
    }
    throw new GatewayError('E_CAPACITY');
  }

  async getSession(guid: string): Promise<SessionRecord | null> {
    this.checkOpen();
    const entry = this.getEntry(guid, this.clock());
    return entry ? { ...entry.record } : null;
  }

  async findGuidByPin(pin: string): Promise<string | null> {
    this.checkOpen();
    const guid = this.pins.get(pin);
    if (guid === undefined) return null;
    return this.getEntry(guid, this.clock()) ? guid : null;
  }

  async findSessionByPin(pin: string): Promise<SessionRecord | null> {
    const guid = await this.findGuidByPin(pin);
    return guid === null ? null : this.getSession(guid);
  }

  async updateSession(guid: string, when: UpdateCondition, patch: SessionPatch): Promise<UpdateResult> {
    this.checkOpen();
    if (patch.ttlMs !== undefined) checkTtl(patch.ttlMs, 'ttlMs');
    const now = this.clock();
    const entry = this.getEntry(guid, now);
    if (!entry) return { ok: false, reason: 'not_found' };
    const ttl = patchTtl(patch, entry.record, now);
    // Org before state: a technician of another org learns nothing from the state check.
    if (when.orgId !== undefined && entry.record.orgId !== when.orgId) {
      return { ok: false, reason: 'wrong_org', session: { ...entry.record } };
    }
    if (!when.states.includes(entry.record.state) || (when.aliveAt !== undefined && entry.record.expiresAt <= when.aliveAt)) {
      return { ok: false, reason: 'wrong_state', session: { ...entry.record } };
    }

    const before = entry.record.state;
    const next: SessionRecord = { ...entry.record };
    for (const [k, v] of patchEntries(patch)) (next as unknown as Record<string, unknown>)[k] = v;
    entry.record = next;
    if (ttl !== undefined) {
      entry.deadline = now + ttl;
      this.sessionWheel.schedule(guid, entry.deadline);
    }
    if (patch.releasePin && entry.pinHeld) this.releasePin(entry);
    if (before === 'waiting' && next.state !== 'waiting') this.unindexWaiting(next);
    if (before !== 'waiting' && next.state === 'waiting') this.indexWaiting(next);
    return { ok: true, session: { ...next } };
  }

  async updateSessionByPin(pin: string, when: UpdateCondition, patch: SessionPatch): Promise<UpdateResult> {
    const guid = await this.findGuidByPin(pin);
    return guid === null ? { ok: false, reason: 'not_found' } : this.updateSession(guid, when, patch);
  }

  async listWaiting(orgId: string): Promise<SessionRecord[]> {
    this.checkOpen();
    const guids = this.waiting.get(orgId);
    if (!guids) return [];
    const now = this.clock();
    const out: SessionRecord[] = [];
    for (const guid of guids) {
      const entry = this.getEntry(guid, now);
      if (entry) out.push({ ...entry.record });
    }
    return out.sort(oldestFirst);
  }

  async touchSessions(guids: readonly string[], ttlMs: number): Promise<void> {
    this.checkOpen();
    const now = this.clock();
    const deadline = now + checkTtl(ttlMs, 'ttlMs');
    for (const guid of guids) {
      const entry = this.getEntry(guid, now);
      // Extend only: a touch never shortens a lifetime someone else set (e.g. a long unclaimed window).
      if (entry && entry.deadline < deadline) {
        entry.deadline = deadline;
        this.sessionWheel.schedule(guid, deadline);
      }
    }
  }

  async putGateway(gateway: GatewayRecord, ttlMs: number): Promise<void> {
    this.checkOpen();
    // A handful of entries at most (one per gateway, and a memory registry serves one): no wheel needed.
    this.gateways.set(gateway.id, { value: { ...gateway }, deadline: this.clock() + checkTtl(ttlMs, 'ttlMs') });
  }

  async listGateways(): Promise<GatewayRecord[]> {
    this.checkOpen();
    const now = this.clock();
    const live: GatewayRecord[] = [];
    for (const [id, entry] of this.gateways) {
      if (entry.deadline <= now) this.gateways.delete(id);
      else live.push({ ...entry.value });
    }
    return live;
  }

  async getGateway(id: string): Promise<GatewayRecord | null> {
    this.checkOpen();
    const entry = this.gateways.get(id);
    return entry && entry.deadline > this.clock() ? { ...entry.value } : null;
  }

  async removeGateway(id: string): Promise<void> {
    this.checkOpen();
    this.gateways.delete(id);
  }

  async putToken(tokenId: string, token: TokenRecord, ttlMs: number): Promise<void> {
    this.checkOpen();
    const deadline = this.clock() + checkTtl(ttlMs, 'ttlMs');
    this.tokens.set(tokenId, { value: { ...token }, deadline });
    this.tokenWheel.schedule(tokenId, deadline);
  }

  async getToken(tokenId: string): Promise<TokenRecord | null> {
    this.checkOpen();
    const entry = this.live(this.tokens, this.tokenWheel, tokenId, this.clock());
    return entry ? { ...entry.value } : null;
  }

  async deleteToken(tokenId: string): Promise<void> {
    this.checkOpen();
    this.tokens.delete(tokenId);
    this.tokenWheel.cancel(tokenId);
  }

  async hit(key: string, windowMs: number): Promise<number> {
    this.checkOpen();
    const window = checkTtl(windowMs, 'windowMs');
    const now = this.clock();
    const entry = this.live(this.counters, this.counterWheel, key, now);
    if (entry) return ++entry.value;
    const deadline = now + window;
    this.counters.set(key, { value: 1, deadline });
    this.counterWheel.schedule(key, deadline);
    return 1;
  }

  async unhit(key: string): Promise<void> {
    this.checkOpen();
    const entry = this.live(this.counters, this.counterWheel, key, this.clock());
    if (entry && entry.value > 0) entry.value--;
  }

  async counterBatch(ops: readonly CounterOp[]): Promise<number[]> {
    const out: number[] = [];
    for (const o of ops) {
      if (o.op === 'hit' && (o.onlyIfZero === undefined || out[o.onlyIfZero] === 0)) out.push(await this.hit(o.key, o.windowMs));
      else if (o.op === 'hit') out.push(await this.count(o.key));
      else {
        if (o.op === 'unhit') await this.unhit(o.key);
        out.push(await this.count(o.key));
      }
    }
    return out;
  }

  async takeSlot(key: string, member: string, expiresAt: number, limit: number): Promise<boolean> {
    return (await this.takeSlots([{ key, limit }], member, expiresAt))[0]!;
  }

  async takeSlots(sets: readonly { key: string; limit: number }[], member: string, expiresAt: number): Promise<boolean[]> {
    this.checkOpen();
    const room = sets.map(({ key, limit }) => this.hasRoom(key, member, limit));
    if (room.includes(false)) return room;
    for (const { key } of sets) {
      let members = this.slots.get(key);
      if (!members) this.slots.set(key, (members = new Map()));
      members.set(member, expiresAt);
      // The sweep only frees memory (it reschedules the key at its latest member), so any member's expiry will do.
      this.slotWheel.schedule(key, expiresAt);
    }
    return room;
  }

  async releaseSlot(key: string, member: string): Promise<void> {
    await this.releaseSlots([key], member);
  }

  async releaseSlots(keys: readonly string[], member: string): Promise<void> {
    this.checkOpen();
    for (const key of keys) {
      const members = this.slots.get(key);
      members?.delete(member);
      if (members?.size === 0) this.slots.delete(key);
    }
  }

  /** True when `member` holds a slot under `key` or one is free. */
  private hasRoom(key: string, member: string, limit: number): boolean {
    let members = this.slots.get(key);
    if (!members || members.has(member) || members.size < limit) return true;
    // Full as far as we know: drop what expired (O(members), only at the cap), then look again.
    this.liveSlots(key, this.clock());
    members = this.slots.get(key);
    return !members || members.size < limit;
  }

  async count(key: string): Promise<number> {
    this.checkOpen();
    return this.live(this.counters, this.counterWheel, key, this.clock())?.value ?? 0;
  }

  async resetCounter(key: string): Promise<void> {
    this.checkOpen();
    this.counters.delete(key);
    this.counterWheel.cancel(key);
  }

  isReady(): boolean {
    return !this.closed;
  }

  onReadyChange(listener: ReadyListener): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ticker);
    this.ticker = undefined;
    for (const listener of this.readyListeners) listener(false);
    this.readyListeners.clear();
  }

  // After close() the data is gone with the process; failing loudly beats answering from a dead store.
  private checkOpen(): void {
    if (this.closed) throw new GatewayError('E_REGISTRY_UNAVAILABLE');
  }

  /** The entry if it is still alive at `now`; an expired one is dropped on the spot (lazy expiry). */
  private getEntry(guid: string, now: number): SessionEntry | undefined {
    const entry = this.sessions.get(guid);
    return entry && this.liveSession(guid, entry, now) ? entry : undefined;
  }

  private liveSession(guid: string, entry: SessionEntry, now: number): boolean {
    if (now < entry.deadline) return true;
    this.sessions.delete(guid);
    this.sessionWheel.cancel(guid);
    if (entry.pinHeld) this.releasePin(entry);
    if (entry.record.state === 'waiting') this.unindexWaiting(entry.record);
    return false;
  }

  private live<T>(map: Map<string, Expiring<T>>, wheel: ExpiryWheel<string>, key: string, now: number): Expiring<T> | undefined {
    const entry = map.get(key);
    if (!entry) return undefined;
    if (now < entry.deadline) return entry;
    map.delete(key);
    wheel.cancel(key);
    return undefined;
  }

  /** Drops the expired members of a slot key (and the key when empty); the latest expiry left, if any. */
  private liveSlots(key: string, now: number): number | undefined {
    const members = this.slots.get(key);
    if (!members) return undefined;
    let latest: number | undefined;
    for (const [member, expiresAt] of members) {
      if (expiresAt <= now) members.delete(member);
      else latest = Math.max(latest ?? expiresAt, expiresAt);
    }
    if (members.size === 0) this.slots.delete(key);
    return latest;
  }

  private releasePin(entry: SessionEntry): void {
    entry.pinHeld = false;
    if (this.pins.get(entry.record.pin) === entry.record.guid) this.pins.delete(entry.record.pin);
  }

  private indexWaiting(record: SessionRecord): void {
    let set = this.waiting.get(record.orgId);
    if (!set) this.waiting.set(record.orgId, (set = new Set()));
    set.add(record.guid);
  }

  private unindexWaiting(record: SessionRecord): void {
    const set = this.waiting.get(record.orgId);
    if (!set) return;
    set.delete(record.guid);
    if (set.size === 0) this.waiting.delete(record.orgId);
  }
}
