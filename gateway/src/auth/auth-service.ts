import { createHash, randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';
import { GatewayError } from '../errors/gateway-error.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { Registry } from '../registry/registry.js';
import { normalizeUsername } from './account-names.js';
import type { AccountStore, TechnicianAccount } from './account-store.js';
import { isWellFormedToken, newBearerToken, tokenIdOf } from './bearer-token.js';
import { defaultScryptParams, hashPassword, verifyPassword, type ScryptParams } from './password.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { RateLimiter, type RateLimit } from './rate-limiter.js';
import type { LimitCrossings } from '../limits/limit-crossings.js';
import { LoginBudget } from './login-budget.js';
import { LoginLockout } from './login-lockout.js';

/** What AuthService needs from the registry (tokens and counters only). */
export type AuthRegistry = Pick<Registry, 'hit' | 'unhit' | 'count' | 'resetCounter' | 'putToken' | 'getToken' | 'deleteToken'>;

export interface AuthServiceDeps {
  accounts: AccountStore;
  registry: AuthRegistry;
  clock?: Clock;
  log?: Logger;
  /** Logs and counts lockouts and login limits once per source and window. */
  crossings?: LimitCrossings;
}

/** Authentication settings; every field optional, defaults in `defaultAuthOptions`. */
export interface AuthOptions {
  /** Lifetime of a bearer token (ms). Short, because a token is all an attacker needs. */
  tokenTtlMs?: number;
  /** Failed logins of one username from one source within `failureWindowMs` that lock that source out of it. */
  maxFailedLogins?: number;
  failureWindowMs?: number;
  /** How long a lock lasts (ms); also the window of maxFailedLoginsPerAccount. */
  lockoutMs?: number;
  /** Failed logins of one username from all sources after which only sources it logged in from may try it. */
  maxFailedLoginsPerAccount?: number;
  /** Password checks started per second for logins from sources the username does not know (per gateway). */
  loginsPerSecond?: number;
  /** Login attempts allowed per source address (IPv4 address / IPv6 /64). */
  loginPerSource?: RateLimit;
  /** Login attempts allowed over all sources; off by default. */
  loginGlobal?: RateLimit;
  /** Cost of the dummy hash checked for unknown usernames; match what the admin CLI hashes with. */
  scryptParams?: ScryptParams;
  /** Password checks running at once (each holds a libuv pool thread ~40 ms); half the default pool of 4. */
  maxConcurrentPasswordChecks?: number;
  /** Logins waiting for a check; beyond this they are refused with E_CAPACITY. */
  maxQueuedPasswordChecks?: number;
}

export const defaultAuthOptions = {
  tokenTtlMs: 60 * 60_000,
  maxFailedLogins: 5,
  failureWindowMs: 15 * 60_000,
  lockoutMs: 15 * 60_000,
  maxFailedLoginsPerAccount: 50,
  loginsPerSecond: 10,
  loginPerSource: { limit: 30, windowMs: 60_000 },
  loginGlobal: undefined as RateLimit | undefined,
  scryptParams: defaultScryptParams as ScryptParams,
  maxConcurrentPasswordChecks: 2,
  maxQueuedPasswordChecks: 200,
} satisfies Required<Omit<AuthOptions, 'loginGlobal'>> & Pick<AuthOptions, 'loginGlobal'>;

type ResolvedAuthOptions = typeof defaultAuthOptions;

export interface LoginResult {
  /** The bearer token; shown to the client once, never stored or logged. */
  token: string;
  expiresAt: number;
  technician: { id: string; username: string; displayName: string; orgId: string };
}

/** Who a valid bearer token speaks for. */
export interface Principal {
  technicianId: string;
  orgId: string;
  username: string;
  /** Shown to the customer on pickup. */
  displayName: string;
  /** SHA-256 of the token: safe to log and to use as an audit reference. */
  tokenId: string;
}

const knownOptions = new Set(Object.keys(defaultAuthOptions));
/** Usernames are at most 64 characters; longer input is cut before it is normalised, hashed or logged. */
const maxUsernameInput = 256;

function positiveInt(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new Error(`AuthService: ${name} must be an integer >= ${min}, got ${value}`);
}

function resolveOptions(options: AuthOptions): ResolvedAuthOptions {
  for (const key of Object.keys(options)) {
    if (!knownOptions.has(key)) throw new Error(`AuthService: unknown option "${key}" (known: ${[...knownOptions].join(', ')})`);
  }
  const o: ResolvedAuthOptions = { ...defaultAuthOptions };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  positiveInt('tokenTtlMs', o.tokenTtlMs, 1_000);
  positiveInt('maxFailedLogins', o.maxFailedLogins, 1);
  positiveInt('failureWindowMs', o.failureWindowMs, 1_000);
  positiveInt('lockoutMs', o.lockoutMs, 1_000);
  positiveInt('maxFailedLoginsPerAccount', o.maxFailedLoginsPerAccount, 1);
  positiveInt('loginsPerSecond', o.loginsPerSecond, 1);
  positiveInt('maxConcurrentPasswordChecks', o.maxConcurrentPasswordChecks, 1);
  positiveInt('maxQueuedPasswordChecks', o.maxQueuedPasswordChecks, 0);
  return o;
}

/**
 * Technician login, bearer tokens and lockout.
 *
 * Login never reveals whether a username exists: unknown, disabled and wrong-password attempts give the same
 * E_AUTH_FAILED after the same scrypt work, and failures are counted (and lock) per username either way.
 * Tokens are random; the registry holds only their SHA-256 with the account's token epoch, so bumping the
 * epoch (admin CLI disable / reset-password / revoke-tokens, another process) revokes them everywhere.
 */
export class AuthService {
  readonly #accounts: AccountStore;
  readonly #registry: AuthRegistry;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #options: ResolvedAuthOptions;
  readonly #loginLimiter: RateLimiter;
  readonly #passwordChecks: ConcurrencyLimit;
  readonly #lockout: LoginLockout;
  readonly #budget: LoginBudget;
  readonly #crossings: LimitCrossings | undefined;
  readonly #dummyHash: Promise<string>;

  constructor(deps: AuthServiceDeps, options: AuthOptions = {}) {
    if (!deps.accounts || !deps.registry) throw new Error('AuthService: accounts and registry are required');
    this.#options = resolveOptions(options);
    this.#accounts = deps.accounts;
    this.#registry = deps.registry;
    this.#clock = deps.clock ?? systemClock;
    this.#log = deps.log ?? silentLogger;
    // Made now, not on first use: otherwise the first unknown-username login would take twice as long.
    this.#dummyHash = hashPassword(randomBytes(18).toString('base64'), this.#options.scryptParams);
    this.#dummyHash.catch(() => {}); // surfaced by the login that awaits it
    this.#passwordChecks = new ConcurrencyLimit(this.#options.maxConcurrentPasswordChecks, this.#options.maxQueuedPasswordChecks);
    this.#crossings = deps.crossings;
    this.#loginLimiter = new RateLimiter({
      registry: deps.registry,
      name: 'login',
      perSource: this.#options.loginPerSource,
      ...(this.#options.loginGlobal ? { global: this.#options.loginGlobal } : {}),
      log: this.#log,
      ...(deps.crossings ? { onCrossed: (scope, source, windowMs) => deps.crossings!.report('login_attempts', scope, source, windowMs) } : {}),
    });
    this.#lockout = new LoginLockout(deps.registry, this.#options, deps.crossings);
    this.#budget = new LoginBudget(this.#options.loginsPerSecond, this.#clock);
  }

  /**
   * Checks a username and password. Throws GatewayError E_RATE_LIMITED (too many attempts from this source),
   * E_ACCOUNT_LOCKED (too many failures for this username from this source, or from everywhere and this source
   * is new to it; right password or not), E_CAPACITY (too many logins in flight) or E_AUTH_FAILED.
   */
  async login(username: string, password: string, sourceIp: string): Promise<LoginResult> {
    await this.#loginLimiter.check(sourceIp);
    const name = normalizeUsername(String(username).slice(0, maxUsernameInput));
    // Counter keys use a hash of the name: bounded length whatever an attacker sends.
    const nameKey = createHash('sha256').update(name).digest('hex').slice(0, 32);
    const logName = name.slice(0, 64);

    // Shed a flood before any hashing; the username's known sources are never shed.
    const known = await this.#lockout.isKnown(nameKey, sourceIp);
    if (!known && !this.#budget.take()) {
      this.#crossings?.report('login_attempts', 'global', 'all', 60_000);
      throw new GatewayError('E_CAPACITY', 'too many logins at once; try again in a second');
    }
    const reservation = await this.#lockout.reserve(nameKey, sourceIp, known, { username: logName, source: sourceIp });

    const account = await this.#accounts.getByUsername(name);
    // Unknown user: verify against a dummy hash of the same cost, so the answer takes as long as a real check.
    const hash = account?.passwordHash ?? (await this.#getDummyHash());
    let matches: boolean;
    try {
      // A known source's check goes before the queued ones: a flood from elsewhere does not make it wait.
      matches = await this.#passwordChecks.run(() => verifyPassword(String(password), hash), reservation.known);
    } catch (err) {
      reservation.cancel();
      throw err;
    }

    if (!account || !matches || account.disabled) {
      const reason = !account ? 'unknown_user' : !matches ? 'bad_password' : 'disabled';
      await reservation.failed();
      // `reason` goes to the operator's log only; the client sees the same error for all three.
      this.#log.info('login_failed', { username: logName, source: sourceIp, reason });
      throw new GatewayError('E_AUTH_FAILED');
    }

    await reservation.succeeded();
    const token = newBearerToken();
    const tokenId = tokenIdOf(token);
    const expiresAt = this.#clock() + this.#options.tokenTtlMs;
    await this.#registry.putToken(
      tokenId,
      { technicianId: account.id, orgId: account.orgId, epoch: account.tokenEpoch, expiresAt },
      this.#options.tokenTtlMs,
    );
    this.#log.info('login_succeeded', { technicianId: account.id, username: account.username, source: sourceIp, ref: tokenId.slice(0, 12) });
    return { token, expiresAt, technician: publicTechnician(account) };
  }

  /**
   * Resolves a bearer token (the bare token, without "Bearer "). Throws GatewayError('E_TOKEN_INVALID') when
   * it is malformed, unknown, expired, logged out, or its account is gone, disabled, or has a newer epoch.
   */
  async authenticate(bearerToken: string): Promise<Principal> {
    if (typeof bearerToken !== 'string' || !isWellFormedToken(bearerToken)) throw new GatewayError('E_TOKEN_INVALID');
    return this.authenticateTokenId(tokenIdOf(bearerToken));
  }

  /**
   * The same check by token id (its SHA-256), for what a gateway keeps of a technician in a live session: a
   * resume, and the periodic re-check that ends the participation of a technician whose access ended.
   */
  async authenticateTokenId(tokenId: string): Promise<Principal> {
    const record = await this.#registry.getToken(tokenId);
    // The registry expires tokens by TTL too; the clock check covers skew and fake time.
    if (!record || record.expiresAt <= this.#clock()) throw new GatewayError('E_TOKEN_INVALID');
    const account = await this.#accounts.getById(record.technicianId);
    if (!account || account.disabled || account.tokenEpoch !== record.epoch || account.orgId !== record.orgId) {
      // Revoked for good: drop it so the next use is a cheap miss.
      await this.#registry.deleteToken(tokenId);
      throw new GatewayError('E_TOKEN_INVALID');
    }
    return { technicianId: account.id, orgId: account.orgId, username: account.username, displayName: account.displayName, tokenId };
  }

  /** Ends the token's validity. Idempotent: an unknown or malformed token is not an error. */
  async logout(bearerToken: string): Promise<void> {
    if (typeof bearerToken !== 'string' || !isWellFormedToken(bearerToken)) return;
    await this.#registry.deleteToken(tokenIdOf(bearerToken));
  }

  #getDummyHash(): Promise<string> {
    return this.#dummyHash;
  }
}

function publicTechnician(a: TechnicianAccount): LoginResult['technician'] {
  return { id: a.id, username: a.username, displayName: a.displayName, orgId: a.orgId };
}
