import { redisTarget, type GatewayConfig } from '../config/load-config.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log/logger.js';
import { MemoryRegistry } from './memory-registry.js';
import { connectRedisRegistry } from './redis-registry.js';
import type { Registry } from './registry.js';

/** The registry the configuration asks for. Redis that cannot be reached at start-up is an error here. */
export async function openRegistry(config: GatewayConfig, log: Logger, clock: Clock): Promise<Registry> {
  if (config.registry === 'memory') return new MemoryRegistry({ clock });
  return connectRedisRegistry({ ...redisTarget(config), keyPrefix: config.redisKeyPrefix, log });
}
