import type { Clock } from '../clock.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Registry, TokenRecord } from '../registry/registry.js';
import type { AccountStore, TechnicianAccount } from './account-store.js';
import type { AdminChange, AdminEvents } from './admin-events.js';
import type { SecondFactorChallenge } from './auth-service.js';
import { isWellFormedToken, newBearerToken, tokenIdOf } from './bearer-token.js';
import { roleOf } from './roles.js';
import { findRecoveryCode, newRecoveryCodes } from './recovery-codes.js';
import { checkTotp, newTotpEnrolment, totpEnrolmentView, type TotpEnrolmentView } from './totp.js';

/** What the second step of a login sends: a code from the app, or one of the recovery codes. */
export type SecondFactorAnswer = { code: string } | { recoveryCode: string };

export interface SecondFactorDeps {
  accounts: AccountStore;
  registry: Pick<Registry, 'putToken' | 'getToken' | 'deleteToken' | 'hit'>;
  clock: Clock;
  events?: AdminEvents;
  ttlMs: number;
  issuer: string;
}

export interface PendingStep {
  key: string;
  record: TokenRecord;
  account: TechnicianAccount;
}

export type StepResult = { ok: true; account: TechnicianAccount; recoveryCodes?: string[] } | { ok: false; reason: string };

/** Challenges live in the registry under their own key space, so a challenge can never pass as a bearer token. */
const challengeKey = (challenge: string) => `2fa:${tokenIdOf(challenge)}`;
/** A code is valid for at most three 30 s steps (one either side); its claim outlives that. */
const totpClaimMs = 2 * 60_000;
const expired = () => new GatewayError('E_AUTH_FAILED', 'this login step is unknown or has expired; log in again');

/**
 * The second step of a login (TOTP, recovery codes, enrolment on the way in) and voluntary enrolment.
 * AuthService owns lockout and tokens; this owns the challenge records and what a right answer changes.
 */
export class SecondFactorSteps {
  readonly #d: SecondFactorDeps;

  constructor(deps: SecondFactorDeps) {
    this.#d = deps;
  }

  async open(account: TechnicianAccount, step: 'totp' | 'totp-enrol'): Promise<SecondFactorChallenge> {
    const challenge = newBearerToken();
    const expiresAt = this.#d.clock() + this.#d.ttlMs;
    await this.#d.registry.putToken(
      challengeKey(challenge),
      { technicianId: account.id, orgId: account.orgId, epoch: account.tokenEpoch, expiresAt, purpose: 'second-factor', step },
      this.#d.ttlMs,
    );
    return { secondFactor: step, challenge, expiresAt };
  }

  /** The login attempt behind a challenge; E_AUTH_FAILED when it is unknown, expired, or its account changed. */
  async pending(challenge: string): Promise<PendingStep> {
    if (typeof challenge !== 'string' || !isWellFormedToken(challenge)) throw expired();
    const key = challengeKey(challenge);
    const record = await this.#d.registry.getToken(key);
    if (!record || record.purpose !== 'second-factor' || record.expiresAt <= this.#d.clock()) throw expired();
    const account = await this.#d.accounts.getById(record.technicianId);
    // Disabled or reset since the password step: that password step no longer counts.
    if (!account || account.disabled || account.tokenEpoch !== record.epoch) {
      await this.#d.registry.deleteToken(key);
      throw expired();
    }
    return { key, record, account };
  }

  async answer(p: PendingStep, answer: SecondFactorAnswer, sourceIp: string): Promise<StepResult> {
    const { account } = p;
    if ('recoveryCode' in answer && typeof answer.recoveryCode === 'string') {
      if (p.record.step !== 'totp') throw new GatewayError('E_BAD_REQUEST', 'recovery codes exist only after an enrolment');
      const hashes = account.recoveryCodes ?? [];
      const i = findRecoveryCode(hashes, answer.recoveryCode);
      if (i < 0) return { ok: false, reason: 'bad_recovery_code' };
      // Two logins racing with the same code both read it as unused; the first claim wins.
      if (!(await this.#claimOnce(`2fa-rc:${account.id}:${hashes[i]}`, 10 * 60_000))) return { ok: false, reason: 'recovery_code_reused' };
      if (!(await this.#claimOnce(`2fa-done:${p.key}`, this.#d.ttlMs))) throw expired();
      const left = hashes.filter((_, j) => j !== i);
      await this.#d.registry.deleteToken(p.key);
      const updated = await this.#d.accounts.update(account.id, { recoveryCodes: left });
      this.#emit(account, { type: 'second_factor.recovery_code_used', orgId: account.orgId, technicianId: account.id, username: account.username, left: left.length }, sourceIp);
      return { ok: true, account: updated };
    }
    const code = 'code' in answer ? answer.code : undefined;
    if (typeof code !== 'string') throw new GatewayError('E_BAD_REQUEST', 'send "code" (6 digits) or "recoveryCode"');
    if (!account.totp) throw new GatewayError('E_BAD_REQUEST', 'no authenticator enrolled yet: POST /v1/auth/login/enrol first');
    const check = await checkTotp(account.totp, code, this.#d.clock());
    if (!check.ok) return { ok: false, reason: 'bad_totp_code' };
    // lastStep stops a replay once stored; the claim closes the window before it is (concurrent logins).
    if (!(await this.#claimOnce(`2fa-step:${account.id}:${check.step}`, totpClaimMs))) return { ok: false, reason: 'totp_code_reused' };
    if (!(await this.#claimOnce(`2fa-done:${p.key}`, this.#d.ttlMs))) throw expired();
    await this.#d.registry.deleteToken(p.key);
    if (account.totp.confirmed) {
      const updated = await this.#d.accounts.update(account.id, { totp: { ...account.totp, lastStep: check.step } });
      return { ok: true, account: updated };
    }
    return this.#confirm(account, check.step, sourceIp);
  }

  /** A new secret for a 'totp-enrol' challenge (replacing any earlier unconfirmed one). */
  async enrolDuringLogin(challenge: string): Promise<TotpEnrolmentView> {
    const p = await this.pending(challenge);
    if (p.record.step !== 'totp-enrol') throw new GatewayError('E_BAD_REQUEST', 'this login needs a code, not an enrolment');
    return this.#begin(p.account);
  }

  async startEnrolment(technicianId: string): Promise<TotpEnrolmentView> {
    const account = await this.#d.accounts.getById(technicianId);
    if (!account) throw new GatewayError('E_TOKEN_INVALID');
    if (account.totp?.confirmed) throw new GatewayError('E_CONFLICT', 'an authenticator is already enrolled; an administrator can reset it');
    return this.#begin(account);
  }

  async confirmEnrolment(technicianId: string, code: string, sourceIp: string): Promise<{ ok: true; recoveryCodes: string[] } | { ok: false; reason: string }> {
    const account = await this.#d.accounts.getById(technicianId);
    if (!account) throw new GatewayError('E_TOKEN_INVALID');
    if (!account.totp || account.totp.confirmed) throw new GatewayError('E_BAD_REQUEST', 'no enrolment is waiting for confirmation');
    const check = await checkTotp(account.totp, code, this.#d.clock());
    if (!check.ok) return { ok: false, reason: 'bad_totp_code' };
    if (!(await this.#claimOnce(`2fa-step:${account.id}:${check.step}`, totpClaimMs))) return { ok: false, reason: 'totp_code_reused' };
    const done = await this.#confirm(account, check.step, sourceIp);
    return { ok: true, recoveryCodes: done.recoveryCodes! };
  }

  async #begin(account: TechnicianAccount): Promise<TotpEnrolmentView> {
    const enrolment = newTotpEnrolment();
    await this.#d.accounts.update(account.id, { totp: enrolment });
    return totpEnrolmentView(enrolment, `${this.#d.issuer} (${account.orgId})`, account.username);
  }

  /** The first right code confirms the authenticator; recovery codes are made now and shown once. */
  async #confirm(account: TechnicianAccount, step: number, sourceIp: string): Promise<{ ok: true; account: TechnicianAccount; recoveryCodes: string[] }> {
    const { codes, hashes } = newRecoveryCodes();
    const updated = await this.#d.accounts.update(account.id, { totp: { ...account.totp!, confirmed: true, lastStep: step }, recoveryCodes: hashes });
    this.#emit(account, { type: 'second_factor.enrolled', orgId: account.orgId, technicianId: account.id, username: account.username }, sourceIp);
    return { ok: true, account: updated, recoveryCodes: codes };
  }

  /** True for the first caller only: an atomic increment in the registry (increment, then check). */
  async #claimOnce(key: string, ttlMs: number): Promise<boolean> {
    return (await this.#d.registry.hit(key, ttlMs)) === 1;
  }

  /** The technician acts on its own account. */
  #emit(account: TechnicianAccount, change: AdminChange, sourceIp: string): void {
    this.#d.events?.emit({
      ...change,
      actor: { kind: 'account', technicianId: account.id, username: account.username, orgId: account.orgId, role: roleOf(account), sourceIp },
      at: this.#d.clock(),
    });
  }
}
