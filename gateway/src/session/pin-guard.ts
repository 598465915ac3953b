import { GatewayError } from '../errors/gateway-error.js';
import type { Registry } from '../registry/registry.js';
import { sourceKey } from '../auth/source-key.js';

const WINDOW_MS = 60_000;

/**
 * Rate limit on guessing PINs and session ids: wrong attempts are counted per source address and across
 * the whole deployment (the counters live in the registry, so with Redis the global limit is cluster-wide).
 * Only failures count, so customers who type their PIN right are never slowed by others' mistakes.
 */
export class PinGuard {
  constructor(
    private readonly registry: Registry,
    private readonly limits: { perAddress: number; global: number },
  ) {}

  async assertAllowed(remoteIp: string): Promise<void> {
    const [mine = 0, all = 0] = await this.registry.counts([addressKey(remoteIp), GLOBAL_KEY]);
    if (mine >= this.limits.perAddress || all >= this.limits.global) throw new GatewayError('E_RATE_LIMITED');
  }

  async recordFailure(remoteIp: string): Promise<void> {
    await Promise.all([this.registry.hit(addressKey(remoteIp), WINDOW_MS), this.registry.hit(GLOBAL_KEY, WINDOW_MS)]);
  }
}

// One hash tag for both, so the check above is one MGET even on Redis Cluster (one slot holds every
// PIN-failure counter; the global one is a single hot key anyway).
const GLOBAL_KEY = '{pinfail}:all';
const addressKey = (ip: string) => '{pinfail}:src:' + sourceKey(ip);
