import type { AccountStore } from '../auth/account-store.js';
import { openAccountStore } from '../auth/open-account-store.js';
import { redisTarget, type GatewayConfig } from '../config/load-config.js';

/** The account store the configuration asks for ("auto": Redis beside a Redis registry, else the data folder). */
export function openAccounts(config: GatewayConfig): Promise<AccountStore> {
  const kind = config.accountStore === 'auto' ? (config.registry === 'redis' ? 'redis' : 'file') : config.accountStore;
  return kind === 'file'
    ? openAccountStore({ kind: 'file', dataDir: config.dataDir })
    : openAccountStore({ kind: 'redis', redis: redisTarget(config), keyPrefix: config.redisKeyPrefix });
}
