import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Cluster, Redis } from 'ioredis';
import type { AccountStore } from './account-store.js';
import { FileAccountStore } from './file-account-store.js';
import { RedisAccountStore } from './redis-account-store.js';

/** Where to reach Redis when the store should make (and own) its client: one of url, sentinels, clusterNodes. */
export interface RedisConnectOptions {
  url?: string;
  sentinels?: { host: string; port: number }[];
  sentinelName?: string;
  clusterNodes?: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls?: TlsOptions;
}

export type OpenAccountStoreOptions =
  | { kind: 'file'; dataDir: string; /** See FileAccountStoreOptions.recheckMs. */ recheckMs?: number }
  | {
      kind: 'redis';
      /** A client to share (left open by close()), or a URL / connect options for a client the store owns. */
      redis: Redis | Cluster | string | RedisConnectOptions;
      /** Default 'rd:'; pass the registry's prefix. */
      keyPrefix?: string;
    };

/**
 * The account store a gateway or the admin CLI should use: the file in the data folder (embedded default)
 * or Redis (clusters, where every gateway must see the same accounts).
 */
export async function openAccountStore(options: OpenAccountStoreOptions): Promise<AccountStore> {
  if (options.kind === 'file') return new FileAccountStore({ dataDir: options.dataDir, recheckMs: options.recheckMs });
  if (options.kind !== 'redis') throw new Error(`unknown account store kind: ${(options as { kind: unknown }).kind}`);
  const keyPrefix = options.keyPrefix ?? 'rd:';
  if (options.redis instanceof Redis || options.redis instanceof Cluster) return new RedisAccountStore({ redis: options.redis, keyPrefix });
  return new RedisAccountStore({ redis: connectStoreClient(options.redis), keyPrefix, ownsClient: true });
}

/** A Redis client for a configuration store (accounts, organisations) that the store then owns. */
export function connectStoreClient(target: string | RedisConnectOptions): Redis | Cluster {
  // Fail a command after one reconnect attempt rather than queue it forever (the CLI must not hang).
  const common = { maxRetriesPerRequest: 1, connectTimeout: 5_000 };
  if (typeof target === 'string') return new Redis(target, common);
  const auth = { ...(target.username ? { username: target.username } : {}), ...(target.password ? { password: target.password } : {}) };
  const tls = target.tls ? { tls: target.tls } : {};
  const given = [target.url, target.sentinels?.length, target.clusterNodes?.length].filter(Boolean).length;
  if (given !== 1) throw new Error('account store: give exactly one of redis url, sentinels or clusterNodes');
  if (target.url) return new Redis(target.url, { ...common, ...auth, ...tls });
  if (target.sentinels?.length) {
    return new Redis({ ...common, ...auth, ...tls, sentinels: target.sentinels, name: target.sentinelName ?? 'mymaster' });
  }
  return new Cluster(target.clusterNodes!, { redisOptions: { ...common, ...auth, ...tls } });
}
