import { Cluster, Redis } from 'ioredis';
import { connectStoreClient, type OpenAccountStoreOptions } from '../auth/open-account-store.js';
import { FileOrgStore } from './file-org-store.js';
import type { OrgStore } from './organisation.js';
import { RedisOrgStore } from './redis-org-store.js';

/** The organisation store beside the account store: same kind, same data folder or Redis, same options. */
export async function openOrgStore(options: OpenAccountStoreOptions): Promise<OrgStore> {
  if (options.kind === 'file') return new FileOrgStore({ dataDir: options.dataDir, recheckMs: options.recheckMs });
  const keyPrefix = options.keyPrefix ?? 'rd:';
  if (options.redis instanceof Redis || options.redis instanceof Cluster) return new RedisOrgStore({ redis: options.redis, keyPrefix });
  return new RedisOrgStore({ redis: connectStoreClient(options.redis), keyPrefix, ownsClient: true });
}
