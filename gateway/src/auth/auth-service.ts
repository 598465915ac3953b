import { createHash, randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';
import { GatewayError } from '../errors/gateway-error.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { Registry } from '../registry/registry.js';
import { normalizeUsername } from './account-names.js';
import type { AccountStore, DirectoryProvider, TechnicianAccount } from './account-store.js';
import type { AdminEvents } from './admin-events.js';
import { isWellFormedToken, newBearerToken, tokenIdOf } from './bearer-token.js';
import { idleExpired, touched } from './inactivity.js';
import { openLoginPolicy, type LoginPolicy } from './login-policy.js';
import { roleOf, type Role } from './roles.js';
import { SecondFactorSteps, type SecondFactorAnswer } from './second-factor.js';
import type { TotpEnrolmentView } from './totp.js';
import { defaultScryptParams, hashPassword, verifyPassword, type ScryptParams } from './password.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { RateLimiter, type RateLimit } from './rate-limiter.js';
import type { LimitCrossings } from '../limits/limit-crossings.js';
import { LoginBudget } from './login-budget.js';
import { LoginLockout, type LockoutReservation } from './login-lockout.js';

/** What AuthService needs from the registry (tokens and counters only). */
export type AuthRegistry = Pick<Registry, 'hit' | 'unhit' | 'count' | 'resetCounter' | 'putToken' | 'getToken' | 'deleteToken'>;

export interface AuthServiceDeps {
  accounts: AccountStore;
  registry: AuthRegistry;
  clock?: Clock;
  log?: Logger;
  /** Logs and counts lockouts and login limits once per source and window. */
  crossings?: LimitCrossings;
  /** Organisation rules: allow-lists, required second factor, inactivity limit. None when absent. */
  policy?: LoginPolicy;
  /** Where second-factor enrolments and recovery-code uses are announced (the audit log subscribes). */
  events?: AdminEvents;
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
  /** Inactivity logout: a token unused this long dies (ms), unless its organisation sets its own limit. */
  tokenIdleMs?: number;
  /** How long the second step of a login may take (ms). */
  secondFactorTtlMs?: number;
  /** Issuer shown in authenticator apps (`<issuer> (<orgId>)`). */
  totpIssuer?: string;
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
  tokenIdleMs: 30 * 60_000,
  secondFactorTtlMs: 5 * 60_000,
  totpIssuer: 'relaydesk',
} satisfies Required<Omit<AuthOptions, 'loginGlobal'>> & Pick<AuthOptions, 'loginGlobal'>;

type ResolvedAuthOptions = typeof defaultAuthOptions;

export interface LoginResult {
  /** The bearer token; shown to the client once, never stored or logged. */
  token: string;
  expiresAt: number;
  technician: { id: string; username: string; displayName: string; orgId: string; role: Role; teamId: string | null };
  /** Only when this login completed a TOTP enrolment: the fresh recovery codes, shown this once. */
  recoveryCodes?: string[];
}

/** The answer to a correct password when a second factor is due (docs/protocol.md, two-step login). */
export interface SecondFactorChallenge {
  /** 'totp': send a code or a recovery code; 'totp-enrol': fetch the enrolment first, then send a code. */
  secondFactor: 'totp' | 'totp-enrol';
  /** One-time handle of this login attempt for the second step; not a bearer token. */
  challenge: string;
  expiresAt: number;
}

export type LoginOutcome = LoginResult | SecondFactorChallenge;

export function isSecondFactorChallenge(outcome: LoginOutcome): outcome is SecondFactorChallenge {
  return 'challenge' in outcome;
}

/** One login attempt let past the limits (admitAttempt); its lockout reservation is settled exactly once. */
export interface LoginAttempt {
  /** The normalised username. */
  name: string;
  reservation: LockoutReservation;
}

/** Who a valid bearer token speaks for. */
export interface Principal {
  technicianId: string;
  orgId: string;
  username: string;
  /** Shown to the customer on pickup. */
  displayName: string;
  role: Role;
  /** Whose team policy applies (policy/org-policy.ts); null: the organisation's. */
  teamId: string | null;
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
  positiveInt('tokenIdleMs', o.tokenIdleMs, 60_000);
  positiveInt('secondFactorTtlMs', o.secondFactorTtlMs, 10_000);
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
  readonly #policy: LoginPolicy;
  readonly #steps: SecondFactorSteps;

  constructor(deps: AuthServiceDeps, options: AuthOptions = {}) {
    if (!deps.accounts || !deps.registry) throw new Error('AuthService: accounts and registry are required');
    this.#options = resolveOptions(options);
    this.#accounts = deps.accounts;
    this.#registry = deps.registry;
    this.#clock = deps.clock ?? systemClock;
    this.#log = deps.log ?? silentLogger;
    this.#policy = deps.policy ?? openLoginPolicy;
    this.#steps = new SecondFactorSteps({
      accounts: deps.accounts,
      registry: deps.registry,
      clock: this.#clock,
      events: deps.events,
      ttlMs: this.#options.secondFactorTtlMs,
      issuer: this.#options.totpIssuer,
    });
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
   * A password login for callers that cannot do a second step: like loginWithPassword, but an account that
   * needs a second factor is refused with E_SECOND_FACTOR_REQUIRED.
   */
  async login(username: string, password: string, sourceIp: string): Promise<LoginResult> {
    const outcome = await this.loginWithPassword(username, password, sourceIp);
    if (isSecondFactorChallenge(outcome)) throw new GatewayError('E_SECOND_FACTOR_REQUIRED');
    return outcome;
  }

  /**
   * Checks a username and password: a token, or a challenge when a second factor is due. Throws GatewayError
   * E_RATE_LIMITED (too many attempts from this source), E_ACCOUNT_LOCKED (too many failures for this
   * username from this source, or from everywhere and this source is new to it; right password or not),
   * E_CAPACITY (too many logins in flight), E_IP_NOT_ALLOWED (right password, address not on the
   * organisation's allow-list) or E_AUTH_FAILED.
   */
  async loginWithPassword(username: string, password: string, sourceIp: string): Promise<LoginOutcome> {
    const attempt = await this.admitAttempt(username, sourceIp, { localPasswordCheck: true });
    const account = await this.#accounts.getByUsername(attempt.name);
    // Unknown user: verify against a dummy hash of the same cost, so the answer takes as long as a real check.
    const hash = account?.passwordHash ?? (await this.#getDummyHash());
    let matches: boolean;
    try {
      // A known source's check goes before the queued ones: a flood from elsewhere does not make it wait.
      matches = await this.#passwordChecks.run(() => verifyPassword(String(password), hash), attempt.reservation.known);
    } catch (err) {
      attempt.reservation.cancel();
      throw err;
    }
    // A directory account's password lives in the directory (auth/ldap-login.ts), never here.
    const directory = account !== null && (account.source ?? 'local') !== 'local';
    if (!account || !matches || account.disabled || directory) {
      const reason = !account ? 'unknown_user' : !matches ? 'bad_password' : account.disabled ? 'disabled' : 'directory_account';
      return this.failAttempt(attempt, sourceIp, reason);
    }
    return this.#afterFirstFactor(account, sourceIp, 'password', true, attempt);
  }

  /**
   * The start of every login attempt (password, LDAP, single sign-on, second step): the per-source limit,
   * the budget of scrypt checks for sources new to the username (only when this attempt will hash a password
   * here: `localPasswordCheck`; an LDAP bind costs the directory, not us), then the lockout reservation.
   * The caller settles it: failAttempt, a finished login, or `reservation.cancel()`.
   */
  async admitAttempt(username: string, sourceIp: string, how: { localPasswordCheck: boolean }): Promise<LoginAttempt> {
    await this.#loginLimiter.check(sourceIp);
    const name = normalizeUsername(String(username).slice(0, maxUsernameInput));
    // Counter keys use a hash of the name: bounded length whatever an attacker sends.
    const nameKey = createHash('sha256').update(name).digest('hex').slice(0, 32);
    const logName = name.slice(0, 64);

    // Shed a flood before any hashing; the username's known sources are never shed.
    const known = await this.#lockout.isKnown(nameKey, sourceIp);
    if (how.localPasswordCheck && !known && !this.#budget.take()) {
      this.#crossings?.report('login_attempts', 'global', 'all', 60_000);
      throw new GatewayError('E_CAPACITY', 'too many logins at once; try again in a second');
    }
    const reservation = await this.#lockout.reserve(nameKey, sourceIp, known, { username: logName, source: sourceIp });
    return { name, reservation };
  }

  /** Counts a failed attempt towards the lockout and throws E_AUTH_FAILED (`reason` is for the log only). */
  async failAttempt(attempt: LoginAttempt, sourceIp: string, reason: string, message?: string): Promise<never> {
    await attempt.reservation.failed();
    // `reason` goes to the operator's log only; the client sees the same error for all of them.
    this.#log.info('login_failed', { username: attempt.name.slice(0, 64), source: sourceIp, reason });
    throw new GatewayError('E_AUTH_FAILED', message);
  }

  /**
   * Finishes a login whose first factor a directory checked (LDAP bind, OpenID Connect, SAML): the allow-list,
   * then a second factor where due. Single sign-on (OpenID Connect, SAML) skips the second factor: the
   * identity provider owns it; LDAP only checked a password, so it gets one like a local login.
   */
  loginVerifiedAccount(account: TechnicianAccount, sourceIp: string, via: DirectoryProvider, attempt: LoginAttempt): Promise<LoginOutcome> {
    return this.#afterFirstFactor(account, sourceIp, via, via === 'ldap', attempt);
  }

  /**
   * The second step: a TOTP code (or a recovery code) for the challenge. A wrong code counts towards the lock
   * like a wrong password. When the step was an enrolment, a right code confirms it and the answer carries
   * the new recovery codes.
   */
  async completeSecondFactor(challenge: string, answer: SecondFactorAnswer, sourceIp: string): Promise<LoginResult> {
    const pending = await this.#steps.pending(challenge);
    const attempt = await this.admitAttempt(pending.account.username, sourceIp, { localPasswordCheck: false });
    const result = await this.#settleOnThrow(attempt, () => this.#steps.answer(pending, answer, sourceIp));
    if (!result.ok) return this.failAttempt(attempt, sourceIp, result.reason, 'the code is wrong or was already used');
    const login = await this.#issueToken(result.account, sourceIp, 'second-factor', attempt);
    return result.recoveryCodes ? { ...login, recoveryCodes: result.recoveryCodes } : login;
  }

  /** For a 'totp-enrol' challenge: the secret, otpauth URI and QR code to scan (a new secret each call). */
  enrolDuringLogin(challenge: string): Promise<TotpEnrolmentView> {
    return this.#steps.enrolDuringLogin(challenge);
  }

  /** Voluntary enrolment by a logged-in technician: start (new secret) ... */
  startEnrolment(principal: Principal): Promise<TotpEnrolmentView> {
    return this.#steps.startEnrolment(principal.technicianId);
  }

  /** ... and confirm with a first code; returns the recovery codes, shown once. */
  async confirmEnrolment(principal: Principal, code: string, sourceIp: string): Promise<string[]> {
    const attempt = await this.admitAttempt(principal.username, sourceIp, { localPasswordCheck: false });
    const result = await this.#settleOnThrow(attempt, () => this.#steps.confirmEnrolment(principal.technicianId, code, sourceIp));
    if (!result.ok) return this.failAttempt(attempt, sourceIp, result.reason, 'the code is wrong or was already used');
    await attempt.reservation.succeeded();
    return result.recoveryCodes;
  }

  /**
   * Throws E_IP_NOT_ALLOWED when `sourceIp` is not on the allow-list of the principal's organisation. The
   * HTTP API calls it through authenticate(token, ip); the technician WebSocket handshake calls it too.
   */
  async checkSource(principal: Pick<Principal, 'orgId' | 'technicianId'>, sourceIp: string): Promise<void> {
    try {
      await this.#policy.checkSource(principal.orgId, sourceIp);
    } catch (err) {
      this.#log.warn('request_refused_source', { technicianId: principal.technicianId, orgId: principal.orgId, source: sourceIp });
      throw err;
    }
  }

  /** Runs a step that may throw on bad input (not a guess): then the attempt counts for nothing. */
  async #settleOnThrow<T>(attempt: LoginAttempt, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      attempt.reservation.cancel();
      throw err;
    }
  }

  async #afterFirstFactor(account: TechnicianAccount, sourceIp: string, via: string, secondFactorApplies: boolean, attempt: LoginAttempt): Promise<LoginOutcome> {
    try {
      await this.#policy.checkSource(account.orgId, sourceIp);
    } catch (err) {
      // A right password from the wrong place is no guess: it neither counts nor makes the source known.
      attempt.reservation.cancel();
      this.#log.warn('login_refused_source', { technicianId: account.id, orgId: account.orgId, source: sourceIp, via });
      throw err;
    }
    if (secondFactorApplies) {
      const step = account.totp?.confirmed ? 'totp' : (await this.#policy.requiresSecondFactor(account.orgId)) ? 'totp-enrol' : null;
      if (step) {
        // The right password is neither a failure nor a success yet: earlier failures stay counted (it buys no
        // fresh guesses at the code), and each code is counted by its own attempt.
        attempt.reservation.cancel();
        const challenge = await this.#steps.open(account, step);
        this.#log.info('login_second_factor_due', { technicianId: account.id, source: sourceIp, via, step });
        return challenge;
      }
    }
    return this.#issueToken(account, sourceIp, via, attempt);
  }

  async #issueToken(account: TechnicianAccount, sourceIp: string, via: string, attempt: LoginAttempt): Promise<LoginResult> {
    await attempt.reservation.succeeded();
    const token = newBearerToken();
    const tokenId = tokenIdOf(token);
    const now = this.#clock();
    const expiresAt = now + this.#options.tokenTtlMs;
    const idleMs = (await this.#policy.idleMs(account.orgId)) ?? this.#options.tokenIdleMs;
    await this.#registry.putToken(
      tokenId,
      { technicianId: account.id, orgId: account.orgId, epoch: account.tokenEpoch, expiresAt, purpose: 'bearer', idleMs, lastUsedAt: now },
      this.#options.tokenTtlMs,
    );
    this.#log.info('login_succeeded', { technicianId: account.id, username: account.username, source: sourceIp, via, ref: tokenId.slice(0, 12) });
    return { token, expiresAt, technician: publicTechnician(account) };
  }

  /**
   * Resolves a bearer token (the bare token, without "Bearer "). Throws GatewayError('E_TOKEN_INVALID') when
   * it is malformed, unknown, expired, logged out, or its account is gone, disabled, or has a newer epoch.
   */
  async authenticate(bearerToken: string, sourceIp?: string, options: { use?: boolean } = {}): Promise<Principal> {
    if (typeof bearerToken !== 'string' || !isWellFormedToken(bearerToken)) throw new GatewayError('E_TOKEN_INVALID');
    return this.authenticateTokenId(tokenIdOf(bearerToken), sourceIp, options);
  }

  /**
   * The same check by token id (its SHA-256), for what a gateway keeps of a technician in a live session: a
   * resume, and the periodic re-check that ends the participation of a technician whose access ended.
   * Each check is a use (inactivity logout): a technician in a live session is not idle. `use: false` checks
   * without counting as one (the live queue's periodic re-check: a console left open is not activity). With
   * `sourceIp`, the organisation's allow-list applies too (E_IP_NOT_ALLOWED).
   */
  async authenticateTokenId(tokenId: string, sourceIp?: string, options: { use?: boolean } = {}): Promise<Principal> {
    const record = await this.#registry.getToken(tokenId);
    const now = this.#clock();
    // The registry expires tokens by TTL too; the clock check covers skew and fake time.
    if (!record || record.expiresAt <= now || (record.purpose ?? 'bearer') !== 'bearer') throw new GatewayError('E_TOKEN_INVALID');
    if (idleExpired(record, now)) {
      await this.#registry.deleteToken(tokenId);
      this.#log.info('token_idle_expired', { technicianId: record.technicianId, ref: tokenId.slice(0, 12) });
      throw new GatewayError('E_TOKEN_INVALID', 'the bearer token expired after inactivity; log in again');
    }
    const account = await this.#accounts.getById(record.technicianId);
    if (!account || account.disabled || account.tokenEpoch !== record.epoch || account.orgId !== record.orgId) {
      // Revoked for good: drop it so the next use is a cheap miss.
      await this.#registry.deleteToken(tokenId);
      throw new GatewayError('E_TOKEN_INVALID');
    }
    const principal: Principal = {
      technicianId: account.id,
      orgId: account.orgId,
      username: account.username,
      displayName: account.displayName,
      role: roleOf(account),
      teamId: account.teamId ?? null,
      tokenId,
    };
    if (sourceIp !== undefined) await this.checkSource(principal, sourceIp);
    const fresher = options.use === false ? null : touched(record, now);
    if (fresher) await this.#registry.putToken(tokenId, fresher, Math.max(1, record.expiresAt - now));
    return principal;
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
  return { id: a.id, username: a.username, displayName: a.displayName, orgId: a.orgId, role: roleOf(a), teamId: a.teamId ?? null };
}
