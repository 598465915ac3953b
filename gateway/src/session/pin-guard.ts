import { GatewayError } from '../errors/gateway-error.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { LimitCrossings, LimitScope } from '../limits/limit-crossings.js';
import type { Registry } from '../registry/registry.js';
import { sourceAndPrefix } from '../auth/source-key.js';

/** Budgets of wrong PIN / session-id attempts, all within one fixed window (docs/security.md has the arithmetic). */
export interface PinGuardLimits {
  windowMs: number;
  /** Per source address (IPv4 address, IPv6 /64). */
  perAddress: number;
  /** Per network (IPv4 /24, IPv6 /48): an attacker with a block of addresses gets one budget, not hundreds. */
  perPrefix: number;
  /** Over the whole deployment, counting only addresses that never joined: past it the deployment is "under attack". */
  global: number;
  /** Per address while under attack, for addresses that never joined. Their first tries are still evaluated,
   * so a customer with the right PIN gets in; a guesser is cut to this many per window per address. */
  underAttack: number;
}

/** One reserved attempt. It counts as a failure unless `succeeded()` is called. */
export interface PinAttempt {
  /** The PIN (or token) was right: gives the reservation back and remembers the address as proven. Never throws. */
  succeeded(): Promise<void>;
}

/** An address that joined with a right PIN stays proven this long: its failures do not count globally. */
const PROVEN_MS = 24 * 60 * 60_000;

export interface PinGuardDeps {
  registry: Pick<Registry, 'counterBatch'>;
  crossings?: LimitCrossings;
  log?: Logger;
}

/**
 * Rate limit on guessing PINs, session ids and resume tokens. Every attempt is reserved (counted) before the
 * PIN is looked at and given back when it was right, so the counters hold evaluated failures plus attempts
 * in flight: however many arrive at once, at most `limit` wrong ones per budget are evaluated (issue 13).
 * The counters live in the registry, so with Redis every budget is cluster-wide.
 */
export class PinGuard {
  readonly #registry: PinGuardDeps['registry'];
  readonly #limits: PinGuardLimits;
  readonly #crossings: LimitCrossings | undefined;
  readonly #log: Logger;

  constructor(deps: PinGuardDeps, limits: PinGuardLimits) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`PinGuard: ${name} must be a positive integer, got ${value}`);
    }
    this.#registry = deps.registry;
    this.#limits = limits;
    this.#crossings = deps.crossings;
    this.#log = deps.log ?? silentLogger;
  }

  /** Reserves one attempt from `remoteIp`; throws GatewayError('E_RATE_LIMITED') when a budget is spent. */
  async reserve(remoteIp: string): Promise<PinAttempt> {
    const { windowMs, perAddress, perPrefix, global, underAttack } = this.#limits;
    const { source, prefix } = sourceAndPrefix(remoteIp);
    // One hash tag for every key of the guard, so each step is one Redis command even on a Cluster (one slot
    // holds them all; the global counter is a single hot key anyway). Each hit stays atomic on its own key.
    const keys = { source: `{pin}fail:src:${source}`, prefix: `{pin}fail:net:${prefix}`, global: '{pin}fail:all', proven: `{pin}ok:${source}` };
    // A proven address's failures do not count globally: its global hit is skipped in the same command rather
    // than taken and given back (one Redis command fewer per join).
    const [provenCount = 0, nSource = 0, nPrefix = 0, nGlobal = 0] = await this.#registry.counterBatch([
      { op: 'count', key: keys.proven },
      { op: 'hit', key: keys.source, windowMs },
      { op: 'hit', key: keys.prefix, windowMs },
      { op: 'hit', key: keys.global, windowMs, onlyIfZero: 0 },
    ]);
    const proven = provenCount > 0;
    const held = proven ? [keys.source, keys.prefix] : [keys.source, keys.prefix, keys.global];

    const attacked = !proven && nGlobal > global;
    if (attacked) this.#crossings?.report('pin_guesses', 'global', 'all', windowMs, { failures: nGlobal - 1 });
    let refused: LimitScope | null = null;
    if (nSource > perAddress) refused = 'address';
    else if (nPrefix > perPrefix) refused = 'prefix';
    else if (attacked && nSource > underAttack) refused = 'global';
    if (refused === null) return { succeeded: () => this.#succeeded(held, keys.proven) };

    // A refused attempt was not evaluated, so it is not a failure: every budget stays as it was.
    this.#giveBack(held);
    const who = refused === 'prefix' ? prefix : source;
    this.#crossings?.report('pin_guesses', refused, who, windowMs, { address: remoteIp });
    throw new GatewayError('E_RATE_LIMITED');
  }

  async #succeeded(held: string[], provenKey: string): Promise<void> {
    await this.#registry
      .counterBatch([...held.map((key) => ({ op: 'unhit' as const, key })), { op: 'hit', key: provenKey, windowMs: PROVEN_MS }])
      .catch((err: unknown) => this.#log.debug('pin_guard.give_back_failed', { err }));
  }

  #giveBack(keys: string[]): void {
    this.#registry.counterBatch(keys.map((key) => ({ op: 'unhit' as const, key }))).catch((err: unknown) => this.#log.debug('pin_guard.give_back_failed', { err }));
  }
}
