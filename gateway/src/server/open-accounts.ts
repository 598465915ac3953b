import { FileAccountStore } from '../auth/file-account-store.js';
import type { AccountStore } from '../auth/account-store.js';
import type { GatewayConfig } from '../config/load-config.js';
import type { Registry } from '../registry/registry.js';

/** The account store the configuration asks for ("auto": Redis beside a Redis registry, else the data folder). */
export async function openAccounts(config: GatewayConfig, registry: Registry): Promise<AccountStore> {
  const kind = config.accountStore === 'auto' ? (config.registry === 'redis' ? 'redis' : 'file') : config.accountStore;
  if (kind === 'file') return new FileAccountStore({ dataDir: config.dataDir });
  void registry;
  throw new Error('accountStore=redis: not wired yet');
}
