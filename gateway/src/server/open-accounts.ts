import type { AccountStore } from '../auth/account-store.js';
import { openAccountStore } from '../auth/open-account-store.js';
import { redisTarget, type GatewayConfig } from '../config/load-config.js';

/** The account store the configuration asks for ("auto": Redis beside a Redis registry, else the data folder). */
export function openAccounts(config: GatewayConfig): Promise<AccountStore> {
  const kind = config.accountStore === 'auto' ? (config.registry === 'redis' ? 'redis' : 'file') : config.accountStore;
  return kind === 'file'
    ? // A stat() per token check was the gateway's largest JS cost under load; admin CLI changes (disable,
      // reset) reach a running gateway within a second instead of at once.
      openAccountStore({ kind: 'file', dataDir: config.dataDir, recheckMs: 1000 })
    : openAccountStore({ kind: 'redis', redis: redisTarget(config), keyPrefix: config.redisKeyPrefix });
}
