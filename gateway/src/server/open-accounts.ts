import type { AccountStore } from '../auth/account-store.js';
import { openAccountStore, type OpenAccountStoreOptions } from '../auth/open-account-store.js';
import { redisTarget, type GatewayConfig } from '../config/load-config.js';
import { openOrgStore } from '../org/open-org-store.js';
import type { OrgStore } from '../org/organisation.js';

/** Where the configuration stores live ("auto": Redis beside a Redis registry, else the data folder). */
function storeOptions(config: GatewayConfig): OpenAccountStoreOptions {
  const kind = config.accountStore === 'auto' ? (config.registry === 'redis' ? 'redis' : 'file') : config.accountStore;
  return kind === 'file'
    ? // A stat() per token check was the gateway's largest JS cost under load; admin CLI changes (disable,
      // reset) reach a running gateway within a second instead of at once.
      { kind: 'file', dataDir: config.dataDir, recheckMs: 1000 }
    : { kind: 'redis', redis: redisTarget(config), keyPrefix: config.redisKeyPrefix };
}

/** The account store the configuration asks for. */
export function openAccounts(config: GatewayConfig): Promise<AccountStore> {
  return openAccountStore(storeOptions(config));
}

/** The organisation store beside it (same kind and place). */
export function openOrgs(config: GatewayConfig): Promise<OrgStore> {
  return openOrgStore(storeOptions(config));
}
