import { GatewayError } from '../errors/gateway-error.js';
import type { LimitCrossings } from '../limits/limit-crossings.js';
import type { Registry } from '../registry/registry.js';
import { sourceKey } from './source-key.js';

export interface LoginLockoutLimits {
  /** Failures of one username from one source within failureWindowMs that lock that source out of it. */
  maxFailedLogins: number;
  failureWindowMs: number;
  /** How long such a lock lasts; also the window of maxFailedLoginsPerAccount. */
  lockoutMs: number;
  /** Failures of one username from all sources that lock it for sources it never logged in from. */
  maxFailedLoginsPerAccount: number;
}

/** A source a username logged in from stays known this long: it passes an account-wide lock. */
const KNOWN_SOURCE_MS = 30 * 24 * 60 * 60_000;

/** One login attempt's hold on the lockout budgets: reserved before the password check (increment, then check). */
export interface LockoutReservation {
  /** The source has logged in as this username before (a lock of the whole account does not apply to it). */
  readonly known: boolean;
  failed(): Promise<void>;
  succeeded(): Promise<void>;
  /** The password was never checked (e.g. E_CAPACITY): nothing counts. */
  cancel(): void;
}

/**
 * Lockout that cannot be turned into a weapon (issue 13): wrong passwords lock a username only for the
 * source that sent them, so one address cannot lock every technician out; a username attacked from many
 * sources is closed to sources it never logged in from, while its owner's usual addresses still get in.
 * Every budget is reserved before the password is checked, so concurrent attempts cannot all slip past it.
 * Keys use a hash of the username (`nameKey`), the same for unknown names, so locks reveal nothing.
 */
export type LockoutRegistry = Pick<Registry, 'hit' | 'unhit' | 'count' | 'resetCounter'>;

export class LoginLockout {
  readonly #registry: LockoutRegistry;
  readonly #limits: LoginLockoutLimits;
  readonly #crossings: LimitCrossings | undefined;

  constructor(registry: LockoutRegistry, limits: LoginLockoutLimits, crossings?: LimitCrossings) {
    this.#registry = registry;
    this.#limits = limits;
    this.#crossings = crossings;
  }

  /** Whether `sourceIp` logged in as this username before (checked first: it decides the login budget too). */
  async isKnown(nameKey: string, sourceIp: string): Promise<boolean> {
    return (await this.#registry.count(`login-known:${nameKey}:${sourceKey(sourceIp)}`)) > 0;
  }

  /** Reserves the attempt; throws GatewayError('E_ACCOUNT_LOCKED') when this source may not try this username now. */
  async reserve(nameKey: string, sourceIp: string, known: boolean, logFields: Record<string, unknown>): Promise<LockoutReservation> {
    const { maxFailedLogins, failureWindowMs, lockoutMs, maxFailedLoginsPerAccount } = this.#limits;
    const source = sourceKey(sourceIp);
    const keys = { lock: `login-lock:${nameKey}:${source}`, fails: `login-fail:${nameKey}:${source}`, account: `login-fail:${nameKey}`, known: `login-known:${nameKey}:${source}` };
    // The owner's known sources are not counted against the account: only the per-source lock applies to them.
    const [locked, nFails, nAccount] = await Promise.all([
      this.#registry.count(keys.lock),
      this.#registry.hit(keys.fails, failureWindowMs),
      known ? Promise.resolve(0) : this.#registry.hit(keys.account, lockoutMs),
    ]);
    const held = known ? [keys.fails] : [keys.fails, keys.account];
    const giveBack = () => {
      for (const k of held) this.#registry.unhit(k).catch(() => {});
    };
    if (locked > 0 || nFails > maxFailedLogins) {
      giveBack();
      if (locked === 0) await this.#lock(keys, nameKey, source, logFields);
      throw new GatewayError('E_ACCOUNT_LOCKED');
    }
    if (nAccount > maxFailedLoginsPerAccount) {
      giveBack();
      this.#crossings?.report('login_lockout', 'account', nameKey, lockoutMs, logFields);
      throw new GatewayError('E_ACCOUNT_LOCKED');
    }
    return {
      known,
      failed: async () => {
        if (nFails >= maxFailedLogins) await this.#lock(keys, nameKey, source, logFields);
      },
      succeeded: async () => {
        await Promise.all([
          this.#registry.resetCounter(keys.fails),
          known ? Promise.resolve() : this.#registry.unhit(keys.account),
          this.#registry.hit(keys.known, KNOWN_SOURCE_MS),
        ]);
      },
      cancel: giveBack,
    };
  }

  async #lock(keys: { lock: string; fails: string }, nameKey: string, source: string, logFields: Record<string, unknown>): Promise<void> {
    await this.#registry.hit(keys.lock, this.#limits.lockoutMs);
    // A fresh budget of attempts once the lock ends, rather than re-locking on the first miss.
    await this.#registry.resetCounter(keys.fails);
    this.#crossings?.report('login_lockout', 'address', `${nameKey}:${source}`, this.#limits.lockoutMs, logFields);
  }
}
