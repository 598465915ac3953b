import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { systemClock, type Clock } from '../clock.js';
import { GatewayError } from '../errors/gateway-error.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { SessionRecord } from '../session/session-record.js';
import { decodeRecord, encodeFields, encodeValue, pinHeldField, pinUntilField } from './record-codec.js';
import type { CounterOp, GatewayRecord, ReadyListener, Registry, SessionPatch, TokenRecord, UpdateCondition, UpdateResult } from './registry.js';
import { checkTtl, maxPinAttempts, oldestFirst, patchEntries } from './registry-rules.js';

export interface RedisRegistryOptions {
  /** Standalone server: redis://[user:pass@]host:port[/db] or rediss:// for TLS. */
  url?: string;
  /** Sentinel mode: the sentinels to ask, and the monitored master's name. */
  sentinels?: { host: string; port: number }[];
  sentinelName?: string;
  /** Cluster mode: some seed nodes; the rest are discovered. */
  clusterNodes?: { host: string; port: number }[];
  /** Prefix of every key (default `rd:`), so several deployments or tests can share one Redis. */
  keyPrefix?: string;
  /** A command without a reply after this long fails with E_REGISTRY_UNAVAILABLE (default 500 ms). */
  commandTimeoutMs?: number;
  /** connectRedisRegistry gives up when Redis is not ready after this long (default 3000 ms). */
  startupTimeoutMs?: number;
  /** Longest pause between reconnect attempts (default 1000 ms); the backoff starts at 50 ms. */
  maxReconnectDelayMs?: number;
  /** TLS options for the connection (a rediss:// URL turns TLS on with defaults). */
  tls?: TlsOptions;
  /** Username / password when not in the URL (Sentinel and Cluster have no URL). */
  username?: string;
  password?: string;
  /** How much longer than its session a PIN key is set to live (default 120 s; see defaultPinMarginMs). */
  pinMarginMs?: number;
  /** Turns a record's absolute expiresAt into a TTL. Redis keeps time itself after that. */
  clock?: Clock;
  log?: Logger;
}

type Client = Redis | Cluster;

/**
 * A PIN key lives this much longer than its session's lifetime when it is set, so the common lifetime
 * changes (a customer joins: the session lives 60 s past expiresAt, handshake/join.ts) need no command for
 * it. A PIN key that outlives its session is harmless: lookups check the session holds it, and claims take
 * it over. Also covers clock skew between gateways (pinUntilField is in the writer's clock). Records written
 * before this field existed have none, so their first lengthening moves the PIN key as before.
 */
const defaultPinMarginMs = 120_000;

// Lua scripts. Each touches exactly one key (KEYS[1]), so every one runs unchanged on Redis Cluster;
// what spans keys (session → PIN → org index) is a follow-up that readers verify and prune.
const scripts = {
  /** Writes a new session hash with its TTL; 0 when the GUID exists (a caller bug, 128-bit GUIDs). */
  rdCreate: `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`,
  /**
   * Compare-and-set. ARGV: orgId ('' = any), releasePin ('1'/''), ttlMs ('' = keep), now (ms), PIN margin
   * (ms), key prefix ('' = leave the other keys to the caller), GUID ('' = KEYS[1] is a PIN key: the session
   * that holds it, one node only), aliveAt ('' = any: else only while expiresAt > it), ttlPastExpires ('' = none:
   * else the TTL ends that long after the stored expiresAt), n, n states, then field/value pairs.
   * Returns {status, previous state, TTL after (-1 = not asked), the hash after, PIN held before, PIN key
   * lifetime to set ('' = none needed)}. Three commands inside: HGETALL, HSET, PEXPIRE or PTTL.
   *
   * With a prefix (one node: standalone or Sentinel) the script also does what the change means for the PIN
   * key and the organisation's waiting index, in the same round trip and atomically with the change: it
   * frees or lengthens the PIN, and adds the session to the index or removes it. Their names come from the
   * hash (the caller of a pickup does not know the PIN), which Redis allows outside Cluster mode for scripts
   * without flags; on a Cluster they live in other slots and the caller sends them as follow-ups.
   */
  rdUpdate: `
local key, guid, prefix = KEYS[1], ARGV[7], ARGV[6]
local byPin = guid == ''
if byPin then
  guid = redis.call('GET', KEYS[1])
  if not guid then return {'not_found'} end
  key = prefix .. 's:' .. guid
end
-- One read of the whole hash answers every check; the reply is built from it, not read back (the
-- executed-command count per pairing is what limits Redis: docs/benchmarks.md).
local flat = redis.call('HGETALL', key)
local h = {}
for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
local held = h['${pinHeldField}'] == '1'
if byPin and not (held and prefix .. 'pin:' .. cjson.decode(h['pin']) == KEYS[1]) then
  redis.call('DEL', KEYS[1]) -- a PIN key its session no longer holds (a release that never ran, a session gone)
  return {'not_found'}
end
if #flat == 0 then return {'not_found'} end
local state = h['state']
if ARGV[1] ~= '' and h['orgId'] ~= ARGV[1] then return {'wrong_org', state, -1, flat, ''} end
local n = tonumber(ARGV[10])
local match = ARGV[8] == '' or tonumber(h['expiresAt']) > tonumber(ARGV[8])
if match then
  match = false
  for i = 11, 10 + n do
    if ARGV[i] == state then match = true break end
  end
end
if not match then return {'wrong_state', state, -1, flat, ''} end
local ttl = ARGV[3]
if ARGV[9] ~= '' then
  ttl = string.format('%.0f', math.max(1, math.ceil(tonumber(h['expiresAt']) + tonumber(ARGV[9]) - tonumber(ARGV[4]))))
end
local writes = {}
for i = 11 + n, #ARGV, 2 do
  h[ARGV[i]] = ARGV[i + 1]
  writes[#writes + 1] = ARGV[i]
  writes[#writes + 1] = ARGV[i + 1]
end
if ARGV[2] == '1' and held then
  -- Cleared rather than deleted, so the release rides on the same HSET.
  h['${pinHeldField}'] = '0'
  writes[#writes + 1] = '${pinHeldField}'
  writes[#writes + 1] = '0'
end
-- A held PIN must outlive a lengthened session; it was given a margin, so most changes need nothing.
local pinTtl = ''
if held and ARGV[2] ~= '1' and ttl ~= '' then
  local want = tonumber(ARGV[4]) + tonumber(ttl)
  if want > tonumber(h['${pinUntilField}'] or '0') then
    pinTtl = string.format('%.0f', tonumber(ttl) + tonumber(ARGV[5]))
    h['${pinUntilField}'] = string.format('%.0f', want + tonumber(ARGV[5]))
    writes[#writes + 1] = '${pinUntilField}'
    writes[#writes + 1] = h['${pinUntilField}']
  end
end
if #writes > 0 then redis.call('HSET', key, unpack(writes)) end
local pttl = -1
if ttl ~= '' then
  redis.call('PEXPIRE', key, ttl)
  pttl = tonumber(ttl)
elseif h['state'] == '${encodeValue('waiting')}' then
  pttl = redis.call('PTTL', key) -- only a session that becomes waiting needs it (its index's TTL)
end
if prefix ~= '' then
  local wasWaiting = state == '${encodeValue('waiting')}'
  local isWaiting = h['state'] == '${encodeValue('waiting')}'
  local index = prefix .. 'w:' .. cjson.decode(h['orgId'])
  if wasWaiting and not isWaiting then
    redis.call('ZREM', index, guid)
  elseif isWaiting and (not wasWaiting or ttl ~= '') then
    redis.call('ZADD', index, h['createdAt'], guid)
    if redis.call('PTTL', index) < pttl then redis.call('PEXPIRE', index, math.max(1, pttl)) end
  end
  if held and (ARGV[2] == '1' or pinTtl ~= '') then
    -- Only while the PIN key still names this session: never frees or moves a PIN another session took since.
    local pinKey = prefix .. 'pin:' .. cjson.decode(h['pin'])
    if redis.call('GET', pinKey) == guid then
      if ARGV[2] == '1' then redis.call('DEL', pinKey) else redis.call('PEXPIRE', pinKey, pinTtl) end
    end
  end
end
local out = {}
for f, v in pairs(h) do
  out[#out + 1] = f
  out[#out + 1] = v
end
return {'ok', state, pttl, out, held and '1' or '', pinTtl}`,
  /** Extend-only TTL of a session; returns {PIN held, pin, state, orgId} or nil when gone. */
  rdTouch: `
local t = redis.call('PTTL', KEYS[1])
if t == -2 then return false end
if t < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return redis.call('HMGET', KEYS[1], '${pinHeldField}', 'pin', 'state', 'orgId')`,
  /**
   * TTL of KEYS[1] if its string value is ARGV[2] ('' = any value, any type). ARGV[3] 'set' replaces
   * the TTL, 'extend' only lengthens it.
   */
  rdExpireIf: `
if ARGV[2] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
if ARGV[3] == 'set' then return redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local t = redis.call('PTTL', KEYS[1])
if t == -2 then return 0 end
if t < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1`,
  /** Deletes KEYS[1] only while it still holds ARGV[1]: never frees a PIN someone else took since. */
  rdDelIf: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  /** Takes a PIN key whose value is ARGV[3] ('' = absent), i.e. one found stale; 1 when taken. */
  rdClaim: `
local cur = redis.call('GET', KEYS[1])
if (cur or '') ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
  /**
   * One node only (see rdUpdate): the session holding the PIN KEYS[1], as a flat hash, or false. ARGV: key
   * prefix, the JSON-encoded PIN. A PIN key whose session no longer holds it (a release that never ran, a
   * session gone) is deleted on the way.
   */
  rdFindByPin: `
local guid = redis.call('GET', KEYS[1])
if not guid then return false end
local flat = redis.call('HGETALL', ARGV[1] .. 's:' .. guid)
local held, pin = false, nil
for i = 1, #flat, 2 do
  if flat[i] == '${pinHeldField}' then held = flat[i + 1] == '1' elseif flat[i] == 'pin' then pin = flat[i + 1] end
end
if held and pin == ARGV[2] then return flat end
redis.call('DEL', KEYS[1])
return false`,
  /** Adds a session to an org's waiting index and keeps the index alive at least as long as it. */
  rdIndexAdd: `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`,
} as const;

type UpdateReply = [status: string, prevState?: string, pttl?: number, hash?: string[], heldBefore?: string, pinTtl?: string];
interface ScriptCommands {
  rdCreate(key: string, ttlMs: number, ...fields: string[]): Promise<number>;
  rdUpdate(key: string, ...args: (string | number)[]): Promise<UpdateReply>;
  rdTouch(key: string, ttlMs: number): Promise<(string | null)[] | null>;
  rdExpireIf(key: string, ttlMs: number, expected: string, mode: 'set' | 'extend'): Promise<number>;
  rdDelIf(key: string, expected: string): Promise<number>;
  rdClaim(key: string, value: string, ttlMs: number, expected: string): Promise<number>;
  rdIndexAdd(key: string, score: number, member: string, ttlMs: number): Promise<number>;
  rdCounters(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number[]>;
  rdTakeSlots(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number[]>;
  rdReleaseSlots(numberOfKeys: number, ...keysThenArgs: string[]): Promise<number>;
  rdCreatePinned(numberOfKeys: 3, ...keysThenArgs: (string | number)[]): Promise<number>;
  rdFindByPin(key: string, prefix: string, encodedPin: string): Promise<string[] | null>;
}

/**
 * Counter operations, one per key: ARGV holds (op, window ms) per key; op 'hit' counts one in a fixed
 * window that the first hit (or a counter somehow without TTL) starts, 'unhit' takes one back (never below
 * 0, never creating the key; DECR keeps the TTL), 'count' reads. Returns the count after each.
 */
const countersLua = `
local out = {}
for i = 1, #KEYS do
  local op, k = ARGV[2 * i - 1], KEYS[i]
  local cond = string.match(op, '^hitif:(%d+)$') -- 'hitif:j': a hit only when op j counted 0, else a read
  if cond then op = out[tonumber(cond)] == 0 and 'hit' or 'count' end
  if op == 'hit' then
    local n = redis.call('INCR', k)
    if n == 1 or redis.call('PTTL', k) == -1 then redis.call('PEXPIRE', k, ARGV[2 * i]) end
    out[i] = n
  else
    local n = tonumber(redis.call('GET', k) or '0')
    if op == 'unhit' and n > 0 then n = redis.call('DECR', k) end
    out[i] = n
  end
end
return out`;

/**
 * Slots of capped sets, one set per key: sorted set member → expiry. ARGV: member, expiresAt, now, then one
 * limit per key. Prunes what expired; takes a slot in every set or in none (all or nothing); returns per
 * key 1 when it had room (or already held the member), 0 when full; keeps each key alive as long as its
 * longest-lived member.
 */
const takeSlotsLua = `
local member, now = ARGV[1], ARGV[3]
local room, all = {}, true
for i = 1, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  if not redis.call('ZSCORE', KEYS[i], member) and redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[3 + i]) then
    room[i] = 0
    all = false
  else
    room[i] = 1
  end
end
if all then
  local ttl = math.max(1, tonumber(ARGV[2]) - tonumber(now))
  for i = 1, #KEYS do
    redis.call('ZADD', KEYS[i], ARGV[2], member)
    if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
  end
end
return room`;

/**
 * One node only (see rdUpdate): createSession in one round trip. KEYS: session, PIN, the org's waiting index.
 * ARGV: session TTL, PIN key TTL, GUID, key prefix, JSON-encoded PIN, index score ('' = not waiting), then the
 * hash's field/value pairs. Takes the PIN key when it is free or its session no longer holds it (the check
 * claimPin makes in three round trips); 0 when a live session holds the PIN, -1 when the GUID exists.
 */
const createPinnedLua = `
local cur = redis.call('GET', KEYS[2])
if cur then
  local holder = redis.call('HMGET', ARGV[4] .. 's:' .. cur, '${pinHeldField}', 'pin')
  if holder[1] == '1' and holder[2] == ARGV[5] then return 0 end
end
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
redis.call('HSET', KEYS[1], unpack(ARGV, 7))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
if ARGV[6] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[6], ARGV[3])
  if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[3], ARGV[1]) end
end
return 1`;

/** Scripts with any number of keys (the first argument says how many). */
const variadicScripts = {
  rdCreatePinned: createPinnedLua,
  rdCounters: countersLua,
  rdTakeSlots: takeSlotsLua,
  rdReleaseSlots: `for i = 1, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end return 1`,
};

/** Every Lua script of the registry by name (bench/pairing/command-trace.ts names EVALSHA calls with it). */
export const registryScripts: Readonly<Record<string, string>> = { ...scripts, ...variadicScripts };

// Server replies that mean "Redis cannot serve right now" rather than "our command is wrong". MOVED/ASK: the
// command did not run; ioredis's Cluster client hands them to the caller when an auto-pipeline mixes them with
// other replies (seen during a primary failover, gateway/test/redis-ha/cluster-failover.test.ts).
const unavailableReply = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|OOM|NOREPLICAS|MISCONF|MOVED|ASK)\b/;

const encodedWaiting = encodeValue('waiting');

/**
 * The registry on Redis (standalone now; Sentinel and Cluster through the same keys and scripts).
 *
 * Keys (prefix `rd:` by default), each with a TTL so nothing outlives a crashed gateway:
 * - `s:<guid>`  hash, the session record (record-codec.ts), TTL = its lifetime
 * - `pin:<pin>` string, GUID of the session holding the PIN, same TTL as that session
 * - `w:<orgId>` sorted set of waiting GUIDs by createdAt, TTL ≥ its longest-lived member; may go stale
 * - `t:<tokenId>` string, JSON TokenRecord; `c:<key>` counter
 * - `slots:<key>` sorted set of members by expiry time (takeSlot), TTL = its longest-lived member
 *
 * Outage: no offline queue and no resending, so while disconnected every call rejects at once with
 * E_REGISTRY_UNAVAILABLE; a call on a connection that went silent fails after commandTimeoutMs.
 */
export class RedisRegistry implements Registry {
  readonly kind = 'redis' as const;
  /** Where Redis is, without credentials, for log lines and error messages. */
  readonly address: string;
  private readonly client: Client;
  private readonly cmd: ScriptCommands;
  private readonly prefix: string;
  private readonly clock: Clock;
  private readonly pinMarginMs: number;
  /**
   * Standalone or Sentinel: every key on one server, so a script may change a session, its PIN key and its
   * organisation's index together (one round trip per step of a pairing). On a Cluster they are separate commands.
   */
  private readonly oneNode: boolean;
  private readonly log: Logger;
  private readonly readyListeners = new Set<ReadyListener>();
  private ready = false;
  private closed = false;
  private lastError: string | undefined;

  constructor(client: Client, address: string, options: Pick<RedisRegistryOptions, 'keyPrefix' | 'clock' | 'log' | 'pinMarginMs'> = {}) {
    this.client = client;
    this.address = address;
    this.prefix = options.keyPrefix ?? 'rd:';
    this.clock = options.clock ?? systemClock;
    this.pinMarginMs = options.pinMarginMs ?? defaultPinMarginMs;
    this.oneNode = !(client instanceof Cluster);
    this.log = (options.log ?? silentLogger).child({ component: 'registry', redis: address });
    for (const [name, lua] of Object.entries(scripts)) client.defineCommand(name, { numberOfKeys: 1, lua });
    // Any number of keys (the first argument says how many): one call for several counters of one slot.
    for (const [name, lua] of Object.entries(variadicScripts)) client.defineCommand(name, { lua });
    this.cmd = client as unknown as ScriptCommands;

    client.on('ready', () => this.setReady(true));
    client.on('close', () => this.setReady(false));
    client.on('end', () => this.setReady(false));
    // Without an 'error' listener ioredis prints every failed reconnect; log each distinct cause once.
    client.on('error', (err: Error) => {
      if (err.message === this.lastError) return;
      this.lastError = err.message;
      this.log.warn('registry_error', { err });
    });
    this.ready = client.status === 'ready';
  }

  async createSession(record: Omit<SessionRecord, 'pin'>, nextPin: () => string): Promise<SessionRecord> {
    return this.run(async () => {
      // Redis keeps time from here on; a record already past its expiry lives 1 ms, as good as gone.
      const ttl = Math.max(1, Math.ceil(record.expiresAt - this.clock()));
      for (let attempt = 0; attempt < maxPinAttempts; attempt++) {
        const pin = nextPin();
        const stored: SessionRecord = { ...record, pin };
        const fields = encodeFields(Object.entries(stored));
        fields.push(pinHeldField, '1', pinUntilField, String(this.clock() + ttl + this.pinMarginMs));
        if (this.oneNode) {
          const keys = [this.sessionKey(record.guid), this.pinKey(pin), this.waitingKey(record.orgId)];
          const score = stored.state === 'waiting' ? stored.createdAt : '';
          const created = await this.cmd.rdCreatePinned(3, ...keys, ttl, ttl + this.pinMarginMs, record.guid, this.prefix, encodeValue(pin), score, ...fields);
          if (created === 0) continue;
          if (created === -1) throw new Error(`session ${record.guid} already exists`);
          return stored;
        }
        // A Cluster: session, PIN and index live in different slots, one command each.
        if (!(await this.claimPin(pin, record.guid, ttl + this.pinMarginMs))) continue;
        if ((await this.cmd.rdCreate(this.sessionKey(record.guid), ttl, ...fields)) === 0) {
          await this.cmd.rdDelIf(this.pinKey(pin), record.guid);
          throw new Error(`session ${record.guid} already exists`);
        }
        if (stored.state === 'waiting') {
          await this.cmd.rdIndexAdd(this.waitingKey(stored.orgId), stored.createdAt, stored.guid, ttl);
        }
        return stored;
      }
      throw new GatewayError('E_CAPACITY');
    });
  }

  async getSession(guid: string): Promise<SessionRecord | null> {
    return this.run(async () => decodeRecord(await this.client.hgetall(this.sessionKey(guid))));
  }

  async findGuidByPin(pin: string): Promise<string | null> {
    return (await this.findSessionByPin(pin))?.guid ?? null;
  }

  async findSessionByPin(pin: string): Promise<SessionRecord | null> {
    return this.run(async () => {
      if (this.oneNode) return decodeRecord((await this.cmd.rdFindByPin(this.pinKey(pin), this.prefix, encodeValue(pin))) ?? []);
      const guid = await this.client.get(this.pinKey(pin));
      if (guid === null) return null;
      const hash = await this.client.hgetall(this.sessionKey(guid));
      if (hash[pinHeldField] === '1' && hash.pin === encodeValue(pin)) return decodeRecord(hash);
      // The release after a pickup is a separate step (another slot); if it never ran, finish it here.
      this.bestEffort('prune_pin', this.cmd.rdDelIf(this.pinKey(pin), guid));
      return null;
    });
  }

  async updateSession(guid: string, when: UpdateCondition, patch: SessionPatch): Promise<UpdateResult> {
    return this.update(this.sessionKey(guid), guid, when, patch);
  }

  async updateSessionByPin(pin: string, when: UpdateCondition, patch: SessionPatch): Promise<UpdateResult> {
    // One node: the script finds the session from the PIN key itself. A Cluster: the lookup, then the update.
    if (this.oneNode) return this.update(this.pinKey(pin), '', when, patch);
    const record = await this.findSessionByPin(pin);
    return record ? this.update(this.sessionKey(record.guid), record.guid, when, patch) : { ok: false, reason: 'not_found' };
  }

  /** rdUpdate on `key`: a session hash (`guid` given), or on one node a PIN key (`guid` ''). */
  private async update(key: string, guid: string, when: UpdateCondition, patch: SessionPatch): Promise<UpdateResult> {
    return this.run(async () => {
      const ttl = patch.ttlMs === undefined ? undefined : checkTtl(patch.ttlMs, 'ttlMs');
      const args: (string | number)[] = [
        when.orgId === undefined ? '' : encodeValue(when.orgId),
        patch.releasePin ? '1' : '',
        ttl ?? '',
        this.clock(),
        this.pinMarginMs,
        this.oneNode ? this.prefix : '',
        guid,
        when.aliveAt ?? '',
        patch.ttlPastExpiresMs ?? '',
        when.states.length,
        ...when.states.map(encodeValue),
        ...encodeFields(patchEntries(patch)),
      ];
      const [status, prevState, pttl, hash, heldBefore, pinTtl] = await this.cmd.rdUpdate(key, ...args);
      if (status === 'not_found') return { ok: false, reason: 'not_found' };
      const session = decodeRecord(hash ?? []);
      if (!session) return { ok: false, reason: 'not_found' };
      if (status === 'wrong_org' || status === 'wrong_state') return { ok: false, reason: status, session };
      if (this.oneNode) return { ok: true, session }; // the script kept the PIN key and the index in step

      // The compare-and-set above is the truth; these keys live in other slots and only help lookups
      // (readers verify them), so a failure here is logged, not reported as a failed update.
      const wasWaiting = prevState === encodedWaiting;
      const isWaiting = session.state === 'waiting';
      if (wasWaiting && !isWaiting) {
        this.bestEffort('unindex_waiting', this.client.zrem(this.waitingKey(session.orgId), guid));
      } else if (isWaiting && (!wasWaiting || ttl !== undefined || patch.ttlPastExpiresMs !== undefined)) {
        this.bestEffort(
          'index_waiting',
          this.cmd.rdIndexAdd(this.waitingKey(session.orgId), session.createdAt, guid, Math.max(1, pttl ?? 1)),
        );
      }
      if (heldBefore === '1') {
        if (patch.releasePin) this.bestEffort('release_pin', this.cmd.rdDelIf(this.pinKey(session.pin), guid));
        else if (pinTtl) this.bestEffort('expire_pin', this.cmd.rdExpireIf(this.pinKey(session.pin), Number(pinTtl), guid, 'set'));
      }
      return { ok: true, session };
    });
  }

  async listWaiting(orgId: string): Promise<SessionRecord[]> {
    return this.run(async () => {
      const key = this.waitingKey(orgId);
      const guids = await this.client.zrange(key, '0', '-1');
      // Auto-pipelining sends these reads in one batch per event-loop tick.
      const hashes = await Promise.all(guids.map((guid) => this.client.hgetall(this.sessionKey(guid))));
      const out: SessionRecord[] = [];
      const stale: string[] = [];
      hashes.forEach((hash, i) => {
        const record = decodeRecord(hash);
        if (record && record.state === 'waiting' && record.orgId === orgId) out.push(record);
        else stale.push(guids[i]!);
      });
      if (stale.length > 0) this.bestEffort('prune_waiting', this.client.zrem(key, ...stale));
      return out.sort(oldestFirst);
    });
  }

  async touchSessions(guids: readonly string[], ttlMs: number): Promise<void> {
    const ttl = checkTtl(ttlMs, 'ttlMs');
    return this.run(async () => {
      const rows = await Promise.all(guids.map((guid) => this.cmd.rdTouch(this.sessionKey(guid), ttl)));
      const follow: Promise<unknown>[] = [];
      rows.forEach((row, i) => {
        if (!row) return;
        const guid = guids[i]!;
        const [held, pin, state, orgId] = row;
        if (held === '1' && pin) follow.push(this.cmd.rdExpireIf(this.pinKey(JSON.parse(pin) as string), ttl, guid, 'extend'));
        if (state === encodedWaiting && orgId) {
          follow.push(this.cmd.rdExpireIf(this.waitingKey(JSON.parse(orgId) as string), ttl, '', 'extend'));
        }
      });
      await Promise.all(follow);
    });
  }

  /**
   * `g:<id>` holds the record (with its TTL); `gws` is a sorted set of ids by expiry time, so listing needs no
   * SCAN. They are two slots on a Cluster: the set is only an index, readers fetch and verify each record.
   */
  async putGateway(gateway: GatewayRecord, ttlMs: number): Promise<void> {
    const ttl = checkTtl(ttlMs, 'ttlMs');
    await this.run(async () => {
      await this.client.set(this.gatewayKey(gateway.id), JSON.stringify(gateway), 'PX', ttl);
      await this.client.zadd(this.gatewayIndexKey(), this.clock() + ttl, gateway.id);
      // The index outlives its members by far, but not forever (every key has a TTL).
      await this.client.pexpire(this.gatewayIndexKey(), ttl * 60);
    });
  }

  async listGateways(): Promise<GatewayRecord[]> {
    return this.run(async () => {
      const now = this.clock();
      const ids = await this.client.zrangebyscore(this.gatewayIndexKey(), now, '+inf');
      this.bestEffort('prune_gateways', this.client.zremrangebyscore(this.gatewayIndexKey(), '-inf', now));
      const raws = await Promise.all(ids.map((id) => this.client.get(this.gatewayKey(id))));
      return raws.flatMap((raw) => (raw === null ? [] : [JSON.parse(raw) as GatewayRecord]));
    });
  }

  async getGateway(id: string): Promise<GatewayRecord | null> {
    const raw = await this.run(() => this.client.get(this.gatewayKey(id)));
    return raw === null ? null : (JSON.parse(raw) as GatewayRecord);
  }

  async removeGateway(id: string): Promise<void> {
    await this.run(async () => {
      await this.client.del(this.gatewayKey(id));
      await this.client.zrem(this.gatewayIndexKey(), id);
    });
  }

  async putToken(tokenId: string, token: TokenRecord, ttlMs: number): Promise<void> {
    const ttl = checkTtl(ttlMs, 'ttlMs');
    await this.run(() => this.client.set(this.tokenKey(tokenId), JSON.stringify(token), 'PX', String(ttl)));
  }

  async getToken(tokenId: string): Promise<TokenRecord | null> {
    const raw = await this.run(() => this.client.get(this.tokenKey(tokenId)));
    return raw === null ? null : (JSON.parse(raw) as TokenRecord);
  }

  async deleteToken(tokenId: string): Promise<void> {
    await this.run(() => this.client.del(this.tokenKey(tokenId)));
  }

  async hit(key: string, windowMs: number): Promise<number> {
    return (await this.counterBatch([{ op: 'hit', key, windowMs }]))[0]!;
  }

  async unhit(key: string): Promise<void> {
    await this.counterBatch([{ op: 'unhit', key }]);
  }

  async counterBatch(ops: readonly CounterOp[]): Promise<number[]> {
    if (ops.length === 0) return [];
    const opName = (o: CounterOp, i: number) => {
      if (o.op !== 'hit' || o.onlyIfZero === undefined) return o.op;
      if (!(o.onlyIfZero >= 0 && o.onlyIfZero < i)) throw new RangeError(`counterBatch: onlyIfZero of op ${i} must name an earlier op`);
      return `hitif:${o.onlyIfZero + 1}`; // Lua counts from 1
    };
    const args = ops.flatMap((o, i) => [opName(o, i), o.op === 'hit' ? checkTtl(o.windowMs, 'windowMs') : 0]);
    const keys = ops.map((o) => this.counterKey(o.key));
    if (this.oneCommand(keys)) {
      return this.run(() => this.cmd.rdCounters(keys.length, ...keys, ...args));
    }
    const one = async (i: number, op: string | number) => (await this.cmd.rdCounters(1, keys[i]!, op, args[2 * i + 1]!))[0]!;
    if (!ops.some((o) => o.op === 'hit' && o.onlyIfZero !== undefined)) return this.run(() => Promise.all(keys.map((_, i) => one(i, args[2 * i]!))));
    // Keys in different slots with a condition between them: one after another, the condition decided here.
    return this.run(async () => {
      const out: number[] = [];
      for (const [i, o] of ops.entries()) {
        out.push(await one(i, o.op === 'hit' && o.onlyIfZero !== undefined ? (out[o.onlyIfZero] === 0 ? 'hit' : 'count') : o.op));
      }
      return out;
    });
  }

  async takeSlot(key: string, member: string, expiresAt: number, limit: number): Promise<boolean> {
    return (await this.takeSlots([{ key, limit }], member, expiresAt))[0]!;
  }

  async takeSlots(sets: readonly { key: string; limit: number }[], member: string, expiresAt: number): Promise<boolean[]> {
    if (sets.length === 0) return [];
    const keys = sets.map((x) => this.slotKey(x.key));
    const args = [member, Math.ceil(expiresAt), this.clock()];
    if (this.oneCommand(keys)) {
      const room = await this.run(() => this.cmd.rdTakeSlots(keys.length, ...keys, ...args, ...sets.map((x) => x.limit)));
      return room.map((r) => r === 1);
    }
    // Keys in different slots of a Cluster: one at a time, and what was taken is given back unless all were.
    const room = await this.run(() => Promise.all(keys.map(async (k, i) => (await this.cmd.rdTakeSlots(1, k, ...args, sets[i]!.limit))[0] === 1)));
    if (room.includes(false)) await this.run(() => Promise.all(keys.filter((_, i) => room[i]).map((k) => this.client.zrem(k, member))));
    return room;
  }

  async releaseSlot(key: string, member: string): Promise<void> {
    await this.releaseSlots([key], member);
  }

  async releaseSlots(setKeys: readonly string[], member: string): Promise<void> {
    if (setKeys.length === 0) return;
    const keys = setKeys.map((k) => this.slotKey(k));
    if (this.oneCommand(keys)) await this.run(() => this.cmd.rdReleaseSlots(keys.length, ...keys, member));
    else await this.run(() => Promise.all(keys.map((k) => this.client.zrem(k, member))));
  }

  async count(key: string): Promise<number> {
    const raw = await this.run(() => this.client.get(this.counterKey(key)));
    return raw === null ? 0 : Number(raw);
  }

  async resetCounter(key: string): Promise<void> {
    await this.run(() => this.client.del(this.counterKey(key)));
  }

  isReady(): boolean {
    return this.ready;
  }

  onReadyChange(listener: ReadyListener): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /** Resolves once connected and ready; rejects after `timeoutMs` (naming the address and last error). */
  waitReady(timeoutMs: number): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const off = this.onReadyChange((ready) => {
        if (!ready) return;
        clearTimeout(timer);
        off();
        resolve();
      });
      const timer = setTimeout(() => {
        off();
        const why = this.lastError ? `: ${this.lastError}` : '';
        reject(new GatewayError('E_REGISTRY_UNAVAILABLE', `cannot reach Redis at ${this.address} within ${timeoutMs} ms${why}`));
      }, timeoutMs);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.status === 'ready') {
      // QUIT lets replies already in flight arrive; a connection that is down is just dropped.
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      this.client.disconnect();
    }
    this.setReady(false);
    this.readyListeners.clear();
  }

  private setReady(ready: boolean): void {
    if (this.closed && ready) return;
    if (ready === this.ready) return;
    this.ready = ready;
    if (ready) {
      this.lastError = undefined;
      this.log.info('registry_ready');
    } else if (!this.closed) {
      this.log.warn('registry_unavailable', { lastError: this.lastError });
    }
    for (const listener of this.readyListeners) listener(ready);
  }

  /** Every Redis call goes through here: outages become E_REGISTRY_UNAVAILABLE, bugs stay bugs. */
  private async run<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) throw new GatewayError('E_REGISTRY_UNAVAILABLE');
    try {
      return await op();
    } catch (err) {
      throw this.translate(err);
    }
  }

  private translate(err: unknown): Error {
    if (err instanceof GatewayError) return err;
    if (err instanceof Error && err.name === 'ReplyError' && !unavailableReply.test(err.message)) {
      // A script error or WRONGTYPE is our bug, not an outage: keep the real message for the log.
      return err;
    }
    this.log.debug('registry_call_failed', { err });
    return new GatewayError('E_REGISTRY_UNAVAILABLE');
  }

  /** Follow-up writes whose failure only leaves a stale hint behind that readers verify anyway. */
  private bestEffort(what: string, p: Promise<unknown>): void {
    p.catch((err: unknown) => this.log.debug('registry_follow_up_failed', { what, err }));
  }

  private async claimPin(pin: string, guid: string, ttl: number): Promise<boolean> {
    const key = this.pinKey(pin);
    if ((await this.client.set(key, guid, 'PX', ttl, 'NX')) === 'OK') return true;
    const holder = await this.client.get(key);
    // Free since we looked, or held by a session that released it / is gone: take it, unless
    // someone else changed it in between (rdClaim compares).
    if (holder === null || !(await this.holdsPin(holder, pin))) {
      return (await this.cmd.rdClaim(key, guid, ttl, holder ?? '')) === 1;
    }
    return false;
  }

  private async holdsPin(guid: string, pin: string): Promise<boolean> {
    // HMGET, not findSessionByPin: called while claiming, it must not prune the PIN it is looking at.
    const [held, storedPin] = await this.client.hmget(this.sessionKey(guid), pinHeldField, 'pin');
    return held === '1' && storedPin === encodeValue(pin);
  }

  /** One command may name all of `keys`: anywhere but a Cluster, or keys of one hash tag. */
  private oneCommand(keys: readonly string[]): boolean {
    return this.oneNode || new Set(keys.map(hashTag)).size === 1;
  }

  private sessionKey(guid: string): string {
    return `${this.prefix}s:${guid}`;
  }
  private pinKey(pin: string): string {
    return `${this.prefix}pin:${pin}`;
  }
  private waitingKey(orgId: string): string {
    return `${this.prefix}w:${orgId}`;
  }
  private tokenKey(tokenId: string): string {
    return `${this.prefix}t:${tokenId}`;
  }
  private gatewayKey(id: string): string {
    return `${this.prefix}g:${id}`;
  }
  private gatewayIndexKey(): string {
    return `${this.prefix}gws`;
  }
  private counterKey(key: string): string {
    return `${this.prefix}c:${key}`;
  }
  private slotKey(key: string): string {
    return `${this.prefix}slots:${key}`;
  }
}

/**
 * Connects to Redis (standalone URL, Sentinel or Cluster: exactly one) and resolves once it is ready.
 * Rejects with E_REGISTRY_UNAVAILABLE and a message naming the address when Redis is not ready within
 * startupTimeoutMs, so the gateway can print it and exit non-zero. After start-up the client reconnects
 * by itself (50 ms doubling to maxReconnectDelayMs) and isReady()/onReadyChange follow the connection.
 */
export async function connectRedisRegistry(options: RedisRegistryOptions): Promise<RedisRegistry> {
  const { client, address } = createClient(options);
  const registry = new RedisRegistry(client, address, options);
  try {
    await registry.waitReady(options.startupTimeoutMs ?? 3000);
  } catch (err) {
    await registry.close();
    throw err;
  }
  return registry;
}

function createClient(options: RedisRegistryOptions): { client: Client; address: string } {
  const modes = [options.url, options.sentinels, options.clusterNodes].filter((m) => m !== undefined).length;
  if (modes !== 1) throw new Error('registry: give exactly one of url, sentinels (with sentinelName) or clusterNodes');
  const commandTimeout = options.commandTimeoutMs ?? 500;
  const maxDelay = options.maxReconnectDelayMs ?? 1000;
  const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay);
  const connection: RedisOptions = {
    // Fail fast instead of queueing: a gateway answers "registry unavailable" in ms, not after a hang.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // A command that timed out was already reported failed; resending it later would apply it twice.
    autoResendUnfulfilledCommands: false,
    commandTimeout,
    // A peer that stops answering while commands wait is treated as gone, so isReady() turns false
    // and the client reconnects instead of timing out command after command on a dead socket.
    socketTimeout: Math.max(2000, commandTimeout * 4),
    connectTimeout: 2000,
    enableAutoPipelining: true,
    retryStrategy,
    // After a Sentinel failover the old master answers READONLY: reconnect to find the new one.
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
  };

  if (options.url !== undefined) {
    return { client: new Redis(options.url, connection), address: redactUrl(options.url) };
  }
  if (options.sentinels !== undefined) {
    if (!options.sentinelName) throw new Error('registry: sentinels need sentinelName (the monitored master name)');
    const address = `sentinels ${hostList(options.sentinels)} (master ${options.sentinelName})`;
    const client = new Redis({
      ...connection,
      sentinels: options.sentinels,
      name: options.sentinelName,
      sentinelRetryStrategy: retryStrategy,
      // Reconnect as soon as a Sentinel announces +switch-master. Without it a planned SENTINEL FAILOVER leaves
      // this client on the demoted primary for ~10 s, until Sentinel reconfigures it, and every write in that
      // window is lost when it resyncs (gateway/test/redis-ha/sentinel-failover.test.ts measures it).
      failoverDetector: true,
      ...(options.tls ? { enableTLSForSentinelMode: true } : {}),
    });
    return { client, address };
  }
  const nodes = options.clusterNodes!;
  const clusterOptions: ClusterOptions = {
    enableOfflineQueue: false,
    // ioredis's cluster ready check sends CLUSTER INFO before the cluster counts as connected, which a
    // disabled offline queue refuses, so it would never become ready. A cluster that is down still
    // answers CLUSTERDOWN, which run() reports as E_REGISTRY_UNAVAILABLE.
    enableReadyCheck: false,
    enableAutoPipelining: true,
    // Scripts that take any number of keys: ioredis's auto-pipelining groups a Cluster command by its first
    // argument, which for these is the key count, so commands on keys in different slots landed in one
    // pipeline and were refused ("All keys in the pipeline should belong to the same slots allocation group"):
    // every login and session cap on a Cluster failed (gateway/test/redis-ha). They go out on their own.
    autoPipeliningIgnoredCommands: Object.keys(variadicScripts),
    clusterRetryStrategy: retryStrategy,
    redisOptions: connection,
  };
  return { client: new Cluster(nodes, clusterOptions), address: `cluster ${hostList(nodes)}` };
}

/** The part of a key Redis Cluster hashes: the first non-empty `{…}`, else the whole key. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

function hostList(nodes: { host: string; port: number }[]): string {
  return nodes.map((n) => `${n.host}:${n.port}`).join(',');
}

/** The URL without user and password: it goes into logs and error messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return '(unparseable Redis URL)';
  }
}
