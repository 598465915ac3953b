import { GatewayError } from '../errors/gateway-error.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { Registry } from '../registry/registry.js';
import { sourceKey } from './source-key.js';

export interface RateLimit {
  /** Attempts allowed per window; the next one is refused. */
  limit: number;
  windowMs: number;
}

export interface RateLimiterOptions {
  /** Shared counters, so the limit holds across every gateway of a cluster. */
  registry: Pick<Registry, 'hit'>;
  /** Names the counters (`rl:<name>:…`) and the log lines: 'pin', 'login'. */
  name: string;
  /** Limit per source address (IPv4 address or IPv6 /64). */
  perSource?: RateLimit;
  /** Limit over all sources together: caps a distributed guessing attack (e.g. on the PIN space). */
  global?: RateLimit;
  log?: Logger;
  /** Called once per source and window when a limit is crossed (instead of the log line). */
  onCrossed?: (scope: 'address' | 'global', source: string, windowMs: number) => void;
}

function validateLimit(name: string, which: string, l: RateLimit | undefined): void {
  if (l === undefined) return;
  if (!Number.isInteger(l.limit) || l.limit < 1) throw new Error(`rate limiter ${name}: ${which}.limit must be a positive integer, got ${l.limit}`);
  if (!Number.isInteger(l.windowMs) || l.windowMs < 1) {
    throw new Error(`rate limiter ${name}: ${which}.windowMs must be a positive integer, got ${l.windowMs}`);
  }
}

/** Fixed-window limiter over registry.hit(): each window starts with its first attempt. */
export class RateLimiter {
  readonly #registry: Pick<Registry, 'hit'>;
  readonly #name: string;
  readonly #perSource: RateLimit | undefined;
  readonly #global: RateLimit | undefined;
  readonly #log: Logger;
  readonly #onCrossed: RateLimiterOptions['onCrossed'];

  constructor(options: RateLimiterOptions) {
    if (!/^[a-z][a-z0-9-]*$/.test(options.name)) throw new Error(`rate limiter name must be lowercase letters, digits, '-': ${options.name}`);
    if (!options.perSource && !options.global) throw new Error(`rate limiter ${options.name}: set perSource, global, or both`);
    validateLimit(options.name, 'perSource', options.perSource);
    validateLimit(options.name, 'global', options.global);
    this.#registry = options.registry;
    this.#name = options.name;
    this.#perSource = options.perSource;
    this.#global = options.global;
    this.#log = options.log ?? silentLogger;
    this.#onCrossed = options.onCrossed;
  }

  /**
   * Counts one attempt from `sourceIp`; throws GatewayError('E_RATE_LIMITED') when it is over a limit.
   * A refused attempt does not use up the global budget, so one noisy source cannot lock out everyone else.
   */
  async check(sourceIp: string): Promise<void> {
    if (this.#perSource) {
      const source = sourceKey(sourceIp);
      const n = await this.#registry.hit(`rl:${this.#name}:src:${source}`, this.#perSource.windowMs);
      if (n > this.#perSource.limit) {
        // Log the crossing only: one line per abusive source per window, not one per refused attempt.
        if (n === this.#perSource.limit + 1) this.#crossed('address', source, this.#perSource.windowMs);
        throw new GatewayError('E_RATE_LIMITED');
      }
    }
    if (this.#global) {
      const n = await this.#registry.hit(`rl:${this.#name}:all`, this.#global.windowMs);
      if (n > this.#global.limit) {
        if (n === this.#global.limit + 1) this.#crossed('global', 'all', this.#global.windowMs);
        throw new GatewayError('E_RATE_LIMITED');
      }
    }
  }

  #crossed(scope: 'address' | 'global', source: string, windowMs: number): void {
    if (this.#onCrossed) this.#onCrossed(scope, source, windowMs);
    else this.#log.warn('rate_limited', { limiter: this.#name, scope, source });
  }
}
