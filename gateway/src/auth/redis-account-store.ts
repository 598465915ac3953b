import type { Cluster, Redis } from 'ioredis';
import { GatewayError } from '../errors/gateway-error.js';
import { redisStoreCall } from '../store/redis-store-call.js';
import { migrateAccount, type AccountPatch, type AccountStore, type TechnicianAccount } from './account-store.js';

export interface RedisAccountStoreOptions {
  /** A connected client (standalone, Sentinel or Cluster). Not closed by close() unless `ownsClient`. */
  redis: Redis | Cluster;
  /** Prefix of every key; the registry's prefix, so one deployment's keys sit together. Default 'rd:'. */
  keyPrefix?: string;
  /** close() quits the client too (when the store made it, e.g. from a URL). */
  ownsClient?: boolean;
}

// Two hashes: id → account JSON, username → id. The `{accounts}` hash tag puts both in one Cluster slot so
// the scripts below may touch both atomically (a rename moves the username index in the same step).
const createScript = `
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 'username_taken' end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 'id_taken' end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 'ok'`;

// Compare-and-set on the whole JSON: the merge happens in TypeScript, the script only commits it when nobody
// changed the account meanwhile (then the caller reads again and retries).
const updateScript = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 'missing' end
if cur ~= ARGV[2] then return 'conflict' end
if ARGV[4] ~= ARGV[5] then
  if redis.call('HEXISTS', KEYS[2], ARGV[5]) == 1 then return 'username_taken' end
  redis.call('HDEL', KEYS[2], ARGV[4])
  redis.call('HSET', KEYS[2], ARGV[5], ARGV[1])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 'ok'`;

const byUsernameScript = `
local id = redis.call('HGET', KEYS[2], ARGV[1])
if not id then return false end
return redis.call('HGET', KEYS[1], id)`;

const maxCasRetries = 10;

/**
 * Accounts in Redis, for clusters: every gateway and the admin CLI see the same accounts at once.
 *
 * Keys: `<prefix>acct:{accounts}:by-id` and `<prefix>acct:{accounts}:by-username`, without a TTL on purpose:
 * accounts are configuration, not session state, and must never expire. For the same reason Redis must not
 * evict them: use `maxmemory-policy noeviction` or a `volatile-*` policy (which only evicts keys with a TTL,
 * and every registry key has one), never `allkeys-*`; and enable persistence (AOF or RDB) on that Redis.
 */
export class RedisAccountStore implements AccountStore {
  readonly #redis: Redis | Cluster;
  readonly #ownsClient: boolean;
  readonly #byId: string;
  readonly #byUsername: string;
  #closed = false;

  constructor(options: RedisAccountStoreOptions) {
    if (!options.redis) throw new Error('RedisAccountStore: redis client is required');
    const prefix = options.keyPrefix ?? 'rd:';
    this.#redis = options.redis;
    this.#ownsClient = options.ownsClient ?? false;
    this.#byId = `${prefix}acct:{accounts}:by-id`;
    this.#byUsername = `${prefix}acct:{accounts}:by-username`;
  }

  async create(account: TechnicianAccount): Promise<void> {
    const result = await this.#run(() =>
      this.#redis.eval(createScript, 2, this.#byId, this.#byUsername, account.id, account.username, encode(account)),
    );
    if (result === 'username_taken') throw new GatewayError('E_BAD_REQUEST', `username ${account.username} is taken`);
    if (result === 'id_taken') throw new GatewayError('E_BAD_REQUEST', `account id ${account.id} exists`);
  }

  async getByUsername(username: string): Promise<TechnicianAccount | null> {
    const raw = await this.#run(() => this.#redis.eval(byUsernameScript, 2, this.#byId, this.#byUsername, username));
    return typeof raw === 'string' ? decode(raw) : null;
  }

  async getById(id: string): Promise<TechnicianAccount | null> {
    const raw = await this.#run(() => this.#redis.hget(this.#byId, id));
    return raw === null ? null : decode(raw);
  }

  async list(): Promise<TechnicianAccount[]> {
    const all = await this.#run(() => this.#redis.hvals(this.#byId));
    return all.map(decode).sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  }

  async update(id: string, patch: AccountPatch): Promise<TechnicianAccount> {
    for (let attempt = 0; attempt < maxCasRetries; attempt++) {
      const raw = await this.#run(() => this.#redis.hget(this.#byId, id));
      if (raw === null) throw new GatewayError('E_BAD_REQUEST', `no account with id ${id}`);
      const current = decode(raw);
      const next: TechnicianAccount = { ...current, ...patch, id: current.id, createdAt: current.createdAt };
      const result = await this.#run(() =>
        this.#redis.eval(updateScript, 2, this.#byId, this.#byUsername, id, raw, encode(next), current.username, next.username),
      );
      if (result === 'ok') return next;
      if (result === 'missing') throw new GatewayError('E_BAD_REQUEST', `no account with id ${id}`);
      if (result === 'username_taken') throw new GatewayError('E_BAD_REQUEST', `username ${next.username} is taken`);
      // 'conflict': another writer got there first; read again.
    }
    throw new GatewayError('E_REGISTRY_UNAVAILABLE', 'account kept changing during the update; try again');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsClient) await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  #run<T>(op: () => Promise<T>): Promise<T> {
    return redisStoreCall('account store', op);
  }
}

function encode(a: TechnicianAccount): string {
  // Fixed field order, so the compare-and-set in updateScript compares like with like.
  // Absent optional fields stay absent (JSON.stringify drops undefined), so older records keep their bytes.
  const { id, username, orgId, displayName, passwordHash, disabled, tokenEpoch, createdAt } = a;
  const { role, teamId, totp, recoveryCodes, source, externalId } = a;
  return JSON.stringify({ id, username, orgId, displayName, passwordHash, disabled, tokenEpoch, createdAt, role, teamId, totp, recoveryCodes, source, externalId });
}

/** Records written before roles existed read as technicians (migration on read; the stored bytes stay). */
function decode(raw: string): TechnicianAccount {
  return migrateAccount(JSON.parse(raw) as TechnicianAccount);
}
