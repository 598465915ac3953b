import { Redis, type Cluster } from 'ioredis';
import type { AccountStore } from './account-store.js';
import { FileAccountStore } from './file-account-store.js';
import { RedisAccountStore } from './redis-account-store.js';

export type OpenAccountStoreOptions =
  | { kind: 'file'; dataDir: string }
  | {
      kind: 'redis';
      /** A client to share (left open by close()), or a redis:// URL for a client the store owns. */
      redis: Redis | Cluster | string;
      keyPrefix?: string;
    };

/**
 * The account store a gateway or the admin CLI should use: the file in the data folder (embedded default)
 * or Redis (clusters, where every gateway must see the same accounts).
 */
export async function openAccountStore(options: OpenAccountStoreOptions): Promise<AccountStore> {
  if (options.kind === 'file') return new FileAccountStore({ dataDir: options.dataDir });
  if (options.kind !== 'redis') throw new Error(`unknown account store kind: ${(options as { kind: unknown }).kind}`);
  const keyPrefix = options.keyPrefix ?? 'rd:';
  if (typeof options.redis !== 'string') return new RedisAccountStore({ redis: options.redis, keyPrefix });
  // Our own client: fail a command after one reconnect attempt rather than queue it forever.
  const redis = new Redis(options.redis, { maxRetriesPerRequest: 1, connectTimeout: 5_000 });
  return new RedisAccountStore({ redis, keyPrefix, ownsClient: true });
}
