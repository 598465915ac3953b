import type { Logger } from '../log/logger.js';
import type { GatewayRecord, Registry } from '../registry/registry.js';

/** Refreshed every second, gone 5 s after the last refresh: a dead gateway leaves the list within seconds. */
export const HEARTBEAT_MS = 1000;
export const MEMBERSHIP_TTL_MS = 5000;

/**
 * Keeps this gateway's record in the registry (address, load, capacity, draining), so clients can pick the
 * least loaded gateway (GET /v1/gateways) and other gateways can reach it over the gateway link.
 */
export class Membership {
  private timer: NodeJS.Timeout | null = null;
  private failing = false;

  constructor(
    private readonly registry: Registry,
    private readonly self: () => GatewayRecord,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
  }

  /** Leaves the list at once (graceful stop), instead of waiting for the TTL. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.registry.removeGateway(this.self().id).catch(() => {});
  }

  /** Publishes the record now (e.g. right after draining starts). */
  refresh(): Promise<void> {
    return this.beat();
  }

  private async beat(): Promise<void> {
    try {
      await this.registry.putGateway(this.self(), MEMBERSHIP_TTL_MS);
      if (this.failing) this.log.info('membership.restored', {});
      this.failing = false;
    } catch (err) {
      // Registry outages are reported by /readyz and registry.down; log the first failure only.
      if (!this.failing) this.log.warn('membership.heartbeat_failed', { err });
      this.failing = true;
    }
  }
}

/** Least loaded first; draining gateways last (they take no new parties). */
export function byLoad(a: GatewayRecord, b: GatewayRecord): number {
  if (a.draining !== b.draining) return a.draining ? 1 : -1;
  return a.connections / Math.max(1, a.capacity) - b.connections / Math.max(1, b.capacity);
}
