import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'otplib';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.js';
import { FileOrgStore } from '../org/file-org-store.js';
import { MemoryRegistry } from '../registry/memory-registry.js';
import { account } from './account-store.cases.js';
import { AdminEvents, type AdminEvent } from './admin-events.js';
import { AuthService, isSecondFactorChallenge, type LoginOutcome, type SecondFactorChallenge } from './auth-service.js';
import { FileAccountStore } from './file-account-store.js';
import { OrgLoginPolicy } from './login-policy.js';
import { hashPassword } from './password.js';

const fast = { N: 2 ** 10, r: 8, p: 1 };
const ip = '192.0.2.10';
let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.map((c) => c()));
  cleanups = [];
});

async function setup() {
  let now = Date.UTC(2026, 11, 1, 8, 0, 0);
  const clock = () => now;
  const dataDir = await mkdtemp(join(tmpdir(), 'rd-2fa-'));
  const accounts = new FileAccountStore({ dataDir });
  const orgs = new FileOrgStore({ dataDir });
  const registry = new MemoryRegistry({ clock });
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }), () => registry.close());
  await accounts.create(account({ passwordHash: await hashPassword('right-password', fast) }));
  const events = new AdminEvents();
  const seen: AdminEvent[] = [];
  events.on((e) => seen.push(e));
  const lines: string[] = [];
  const auth = new AuthService(
    { accounts, registry, clock, policy: new OrgLoginPolicy(orgs), events, log: createLogger({ write: (l) => lines.push(l) }) },
    { scryptParams: fast, maxFailedLogins: 5 },
  );
  const codeAt = (secret: string, t = now) => generate({ secret, epoch: Math.floor(t / 1000) });
  const challengeOf = (o: LoginOutcome): SecondFactorChallenge => {
    if (!isSecondFactorChallenge(o)) throw new Error('expected a second-factor challenge');
    return o;
  };
  /** Enrols alice through the voluntary path; returns her secret and recovery codes. */
  const enrolAlice = async () => {
    const first = await auth.loginWithPassword('alice', 'right-password', ip);
    if (isSecondFactorChallenge(first)) throw new Error('not enrolled yet');
    const principal = await auth.authenticate(first.token);
    const view = await auth.startEnrolment(principal);
    const recoveryCodes = await auth.confirmEnrolment(principal, await codeAt(view.secret), ip);
    now += 30_000; // the next code belongs to a later step
    return { secret: view.secret, recoveryCodes, view };
  };
  return { auth, accounts, orgs, registry, seen, lines, codeAt, challengeOf, enrolAlice, advance: (ms: number) => (now += ms), now: () => now };
}

describe('TOTP two-factor login', () => {
  it('enrols with a secret, an otpauth URI and a QR code, then asks every login for a code', async () => {
    const { auth, accounts, enrolAlice, challengeOf, codeAt, seen } = await setup();
    const { secret, recoveryCodes, view } = await enrolAlice();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(view.otpauthUri).toBe(`otpauth://totp/relaydesk%20(acme):alice?secret=${secret}&issuer=relaydesk%20(acme)`);
    expect(Buffer.from(view.qrDataUrl.replace(/^data:image\/png;base64,/, ''), 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(recoveryCodes).toHaveLength(10);
    const stored = (await accounts.getById('tech-1'))!;
    expect(stored.totp).toMatchObject({ secret, confirmed: true });
    expect(JSON.stringify(stored)).not.toContain(recoveryCodes[0]); // only hashes are kept
    expect(seen.map((e) => e.type)).toEqual(['second_factor.enrolled']);

    const challenge = challengeOf(await auth.loginWithPassword('alice', 'right-password', ip));
    expect(challenge.secondFactor).toBe('totp');
    await expect(auth.authenticate(challenge.challenge)).rejects.toMatchObject({ code: 'E_TOKEN_INVALID' }); // not a bearer token
    const done = await auth.completeSecondFactor(challenge.challenge, { code: await codeAt(secret) }, ip);
    expect((await auth.authenticate(done.token)).username).toBe('alice');
    // The challenge is spent.
    await expect(auth.completeSecondFactor(challenge.challenge, { code: await codeAt(secret) }, ip)).rejects.toMatchObject({ code: 'E_AUTH_FAILED' });
  });

  it('accepts each code once (no replay within its 30 s) and refuses the old login() path', async () => {
    const { auth, enrolAlice, challengeOf, codeAt } = await setup();
    const { secret } = await enrolAlice();
    const code = await codeAt(secret);
    await auth.completeSecondFactor(challengeOf(await auth.loginWithPassword('alice', 'right-password', ip)).challenge, { code }, ip);
    const again = challengeOf(await auth.loginWithPassword('alice', 'right-password', ip));
    await expect(auth.completeSecondFactor(again.challenge, { code }, ip)).rejects.toMatchObject({ code: 'E_AUTH_FAILED' });
    await expect(auth.login('alice', 'right-password', ip)).rejects.toMatchObject({ code: 'E_SECOND_FACTOR_REQUIRED' });
  });

  it('lets only one of two concurrent logins use the same code or recovery code', async () => {
    const { auth, enrolAlice, challengeOf, codeAt } = await setup();
    const { secret, recoveryCodes } = await enrolAlice();
    const code = await codeAt(secret);
    const race = async (answer: { code: string } | { recoveryCode: string }) => {
      const [a, b] = [challengeOf(await auth.loginWithPassword('alice', 'right-password', ip)), challengeOf(await auth.loginWithPassword('alice', 'right-password', ip))];
      const results = await Promise.allSettled([auth.completeSecondFactor(a.challenge, answer, ip), auth.completeSecondFactor(b.challenge, answer, ip)]);
      return results.map((r) => r.status).sort();
    };
    expect(await race({ code })).toEqual(['fulfilled', 'rejected']);
    expect(await race({ recoveryCode: recoveryCodes[0]! })).toEqual(['fulfilled', 'rejected']);
  });

  it('counts wrong codes towards the lockout, and a right password does not reset the count', async () => {
    const { auth, enrolAlice, challengeOf, codeAt } = await setup();
    const { secret } = await enrolAlice();
    for (let i = 0; i < 4; i++) {
      const c = challengeOf(await auth.loginWithPassword('alice', 'right-password', ip));
      await expect(auth.completeSecondFactor(c.challenge, { code: '000000' }, ip)).rejects.toMatchObject({ code: 'E_AUTH_FAILED' });
    }
    const fifth = challengeOf(await auth.loginWithPassword('alice', 'right-password', ip));
    await expect(auth.completeSecondFactor(fifth.challenge, { code: 'abc' }, ip)).rejects.toMatchObject({ code: 'E_AUTH_FAILED' });
    // Locked now: neither the password nor a right code gets in.
    await expect(auth.loginWithPassword('alice', 'right-password', ip)).rejects.toMatchObject({ code: 'E_ACCOUNT_LOCKED' });
    await expect(auth.completeSecondFactor(fifth.challenge, { code: await codeAt(secret) }, ip)).rejects.toMatchObject({ code: 'E_ACCOUNT_LOCKED' });
  });

  it('takes each recovery code once, in any case and with or without dashes', async () => {
    const { auth, accounts, enrolAlice, challengeOf, seen } = await setup();
    const { recoveryCodes } = await enrolAlice();
    const first = challengeOf(await auth.loginWithPassword('alice', 'right-password', ip));
    const done = await auth.completeSecondFactor(first.challenge, { recoveryCode: recoveryCodes[3]!.toUpperCase().replace(/-/g, '') }, ip);
    expect(done.token).toBeDefined();
    expect((await accounts.getById('tech-1'))?.recoveryCodes).toHaveLength(9);
    expect(seen.at(-1)).toMatchObject({ type: 'second_factor.recovery_code_used', left: 9 });
    const second = challengeOf(await auth.loginWithPassword('alice', 'right-password', ip));
    await expect(auth.completeSecondFactor(second.challenge, { recoveryCode: recoveryCodes[3]! }, ip)).rejects.toMatchObject({ code: 'E_AUTH_FAILED' });
  });

  it('makes an unenrolled technician enrol on the way in when the organisation requires it', async () => {
    const { auth, orgs, challengeOf, codeAt, now } = await setup();
    await orgs.update('acme', (o) => void (o.security.requireTotp = true), now());
    const c = challengeOf(await auth.loginWithPassword('alice', 'right-password', ip));
    expect(c.secondFactor).toBe('totp-enrol');
    // A code before the enrolment is a sequencing mistake, not a guess.
    await expect(auth.completeSecondFactor(c.challenge, { code: '123456' }, ip)).rejects.toMatchObject({ code: 'E_BAD_REQUEST' });
    const view = await auth.enrolDuringLogin(c.challenge);
    const done = await auth.completeSecondFactor(c.challenge, { code: await codeAt(view.secret) }, ip);
    expect(done.recoveryCodes).toHaveLength(10);
    expect(challengeOf(await auth.loginWithPassword('alice', 'right-password', ip)).secondFactor).toBe('totp');
  });

  it('lets a challenge expire, and ends it when the account is disabled meanwhile', async () => {
    const { auth, accounts, enrolAlice, challengeOf, codeAt, advance } = await setup();
    const { secret } = await enrolAlice();
    const c = challengeOf(await auth.loginWithPassword('alice', 'right-password', ip));
    advance(5 * 60_000);
    await expect(auth.completeSecondFactor(c.challenge, { code: await codeAt(secret) }, ip)).rejects.toMatchObject({ code: 'E_AUTH_FAILED', message: expect.stringMatching(/expired/) });
    const d = challengeOf(await auth.loginWithPassword('alice', 'right-password', ip));
    const acct = (await accounts.getById('tech-1'))!;
    await accounts.update('tech-1', { disabled: true, tokenEpoch: acct.tokenEpoch + 1 });
    await expect(auth.completeSecondFactor(d.challenge, { code: await codeAt(secret) }, ip)).rejects.toMatchObject({ code: 'E_AUTH_FAILED' });
    await expect(auth.completeSecondFactor('not-a-challenge', { code: '123456' }, ip)).rejects.toMatchObject({ code: 'E_AUTH_FAILED' });
  });

  it('logs no secret, code or recovery code', async () => {
    const { auth, enrolAlice, challengeOf, codeAt, lines } = await setup();
    const { secret, recoveryCodes } = await enrolAlice();
    const c = challengeOf(await auth.loginWithPassword('alice', 'right-password', ip));
    const code = await codeAt(secret);
    await auth.completeSecondFactor(c.challenge, { code }, ip);
    const all = lines.join('\n');
    expect(all).toContain('login_second_factor_due');
    for (const s of [secret, c.challenge, recoveryCodes[0]!]) expect(all).not.toContain(s);
  });
});
