import type { Cluster, Redis } from 'ioredis';
import { GatewayError } from '../errors/gateway-error.js';
import { redisStoreCall } from '../store/redis-store-call.js';
import { migrateOrganisation, newOrganisation, type Organisation, type OrgStore } from './organisation.js';

// Compare-and-set of one hash field: the change is made in TypeScript, the script commits it only when the
// field still holds what was read ('' = absent), so two writers never lose each other's change.
const casScript = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if (cur or '') ~= ARGV[2] then return 'conflict' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 'ok'`;

const maxCasRetries = 10;

/**
 * Organisation records in one Redis hash, `<prefix>org:{orgs}` (id → JSON), without a TTL: like accounts,
 * configuration that must never expire or be evicted (see redis-account-store.ts for the Redis settings).
 */
export class RedisOrgStore implements OrgStore {
  readonly #redis: Redis | Cluster;
  readonly #key: string;
  readonly #ownsClient: boolean;
  #closed = false;

  constructor(options: { redis: Redis | Cluster; keyPrefix?: string; ownsClient?: boolean }) {
    this.#redis = options.redis;
    this.#key = `${options.keyPrefix ?? 'rd:'}org:{orgs}`;
    this.#ownsClient = options.ownsClient ?? false;
  }

  async get(id: string): Promise<Organisation | null> {
    const raw = await this.#run(() => this.#redis.hget(this.#key, id));
    return raw === null ? null : migrateOrganisation(JSON.parse(raw) as Organisation);
  }

  async list(): Promise<Organisation[]> {
    const all = await this.#run(() => this.#redis.hvals(this.#key));
    return all.map((raw) => migrateOrganisation(JSON.parse(raw) as Organisation)).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async update(id: string, change: (org: Organisation) => void, now: number): Promise<Organisation> {
    for (let attempt = 0; attempt < maxCasRetries; attempt++) {
      const raw = await this.#run(() => this.#redis.hget(this.#key, id));
      const org = raw === null ? newOrganisation(id, now) : migrateOrganisation(JSON.parse(raw) as Organisation);
      change(org);
      org.id = id;
      org.updatedAt = now;
      const result = await this.#run(() => this.#redis.eval(casScript, 1, this.#key, id, raw ?? '', JSON.stringify(org)));
      if (result === 'ok') return org;
    }
    throw new GatewayError('E_REGISTRY_UNAVAILABLE', 'organisation kept changing during the update; try again');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsClient) await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  #run<T>(op: () => Promise<T>): Promise<T> {
    return redisStoreCall('organisation store', op);
  }
}
