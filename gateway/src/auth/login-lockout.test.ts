// Lockout and login limits under concurrency and under attack (issue 13): real registries (memory and a real
// redis-server), the real AuthService and scrypt (at a cheap cost), many simultaneous logins.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../test/redis-server.js';
import { LimitCrossings } from '../limits/limit-crossings.js';
import { createLogger } from '../log/logger.js';
import { MemoryRegistry } from '../registry/memory-registry.js';
import { connectRedisRegistry } from '../registry/redis-registry.js';
import type { Registry } from '../registry/registry.js';
import { account } from './account-store.cases.js';
import { AuthService, type AuthOptions } from './auth-service.js';
import { FileAccountStore } from './file-account-store.js';
import { hashPassword } from './password.js';

const fast = { N: 2 ** 10, r: 8, p: 1 };
let redis: RedisServer;
let prefixSeq = 0;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(openRegistry: () => Promise<Registry>, options: AuthOptions = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'rd-lockout-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const accounts = new FileAccountStore({ dataDir });
  await accounts.create(account({ id: 'tech-1', username: 'alice', passwordHash: await hashPassword('right-password', fast) }));
  const registry = await openRegistry();
  cleanups.push(() => registry.close());
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', write: (l) => lines.push(l) });
  const crossings = new LimitCrossings({ registry, log, now: Date.now });
  const auth = new AuthService(
    { accounts, registry, log, crossings },
    { scryptParams: fast, loginPerSource: { limit: 100_000, windowMs: 60_000 }, maxQueuedPasswordChecks: 10_000, loginsPerSecond: 100_000, ...options },
  );
  const events = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { auth, events };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

const count = (codes: string[], code: string) => codes.filter((c) => c === code).length;

const registries: [string, () => Promise<Registry>][] = [
  ['memory', async () => new MemoryRegistry()],
  ['redis', () => connectRedisRegistry({ url: redis.url, keyPrefix: `lo${++prefixSeq}:` })],
];

describe.each(registries)('login lockout on the %s registry', (_name, open) => {
  it('holds against 150 simultaneous logins on one username from one address: the right password, sent last, stays out', async () => {
    const { auth, events } = await setup(open, { maxFailedLogins: 5 });
    const attempts = Array.from({ length: 149 }, (_, i) => codeOf(auth.login('alice', `wrong-${i}`, '192.0.2.10')));
    attempts.push(codeOf(auth.login('alice', 'right-password', '192.0.2.10')));
    const codes = await Promise.all(attempts);
    expect(codes.at(-1)).toBe('E_ACCOUNT_LOCKED');
    // At most the limit of passwords were checked at all; everything else was refused before scrypt.
    expect(count(codes, 'E_AUTH_FAILED')).toBeLessThanOrEqual(5);
    expect(count(codes, 'E_AUTH_FAILED') + count(codes, 'E_ACCOUNT_LOCKED')).toBe(150);
    expect(events().filter((e) => e.event === 'login_failed').length).toBeLessThanOrEqual(5);
    await new Promise((r) => setTimeout(r, 50));
    const crossed = events().filter((e) => e.event === 'limit.crossed' && e.limit === 'login_lockout');
    expect(crossed).toHaveLength(1);
    expect(crossed[0]).toMatchObject({ scope: 'address', username: 'alice', source: '192.0.2.10' });
  });

  it('holds against 150 simultaneous logins from 150 addresses; the account owner\'s known address still gets in', async () => {
    const { auth } = await setup(open, { maxFailedLogins: 5, maxFailedLoginsPerAccount: 20 });
    // The owner logged in from this address earlier.
    await auth.login('alice', 'right-password', '203.0.113.5');
    const attempts = Array.from({ length: 149 }, (_, i) => codeOf(auth.login('alice', 'wrong', `10.1.${i >> 8}.${i & 255}`)));
    attempts.push(codeOf(auth.login('alice', 'right-password', '10.2.0.1')));
    const codes = await Promise.all(attempts);
    expect(codes.at(-1)).toBe('E_ACCOUNT_LOCKED');
    expect(count(codes, 'E_AUTH_FAILED')).toBeLessThanOrEqual(20);
    expect(await codeOf(auth.login('alice', 'right-password', '203.0.113.5'))).toBe('ok');
  });
});

describe('lockout logs', () => {
  it('name the username and source, never a password', async () => {
    const { auth, events } = await setup(async () => new MemoryRegistry(), { maxFailedLogins: 2, maxFailedLoginsPerAccount: 3 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => codeOf(auth.login('alice', `secret-guess-${i}`, `192.0.2.${i}`))));
    await codeOf(auth.login('alice', 'right-password', '192.0.2.50'));
    await new Promise((r) => setTimeout(r, 20));
    const text = JSON.stringify(events());
    expect(text).toContain('limit.crossed');
    expect(text).not.toMatch(/secret-guess|right-password/);
  });
});

describe('lockout is not a weapon', () => {
  it('wrong passwords from one address lock only that address out of that username', async () => {
    const { auth } = await setup(async () => new MemoryRegistry(), { maxFailedLogins: 5 });
    for (let i = 0; i < 5; i++) expect(await codeOf(auth.login('alice', 'wrong', '198.51.100.66'))).toBe('E_AUTH_FAILED');
    expect(await codeOf(auth.login('alice', 'right-password', '198.51.100.66'))).toBe('E_ACCOUNT_LOCKED');
    // The technician at its own desk is not locked out by the attacker.
    expect(await codeOf(auth.login('alice', 'right-password', '203.0.113.9'))).toBe('ok');
  });
});

describe('global login budget', () => {
  it('sheds a flood from fresh addresses before any password check, while a known address logs in at once', async () => {
    const { auth, events } = await setup(async () => new MemoryRegistry(), { loginsPerSecond: 10, maxFailedLoginsPerAccount: 100_000 });
    await auth.login('alice', 'right-password', '203.0.113.5');
    const flood = await Promise.all(Array.from({ length: 200 }, (_, i) => codeOf(auth.login(`user${i}`, 'x', `10.3.${i >> 8}.${i & 255}`))));
    // At most one second's budget (plus what refilled while the flood ran) was checked; the rest were shed.
    expect(count(flood, 'E_AUTH_FAILED')).toBeLessThan(60);
    expect(count(flood, 'E_CAPACITY')).toBeGreaterThan(140);
    expect(events().filter((e) => e.event === 'login_failed').length).toBe(count(flood, 'E_AUTH_FAILED'));
    // The budget is spent, yet the owner's known address is not shed.
    expect(await codeOf(auth.login('alice', 'right-password', '203.0.113.5'))).toBe('ok');
  });

  it('checks a known address\'s password before the flood already queued', async () => {
    const { auth } = await setup(async () => new MemoryRegistry(), { maxConcurrentPasswordChecks: 1, maxFailedLoginsPerAccount: 100_000 });
    await auth.login('alice', 'right-password', '203.0.113.5');
    const done: string[] = [];
    const flood = Array.from({ length: 30 }, (_, i) => auth.login(`user${i}`, 'x', `10.4.0.${i + 1}`).catch(() => done.push('flood')));
    // Let the flood reach the queue of password checks first.
    await new Promise((r) => setTimeout(r, 5));
    const known = auth.login('alice', 'right-password', '203.0.113.5').then(() => done.push('known'));
    await Promise.all([...flood, known]);
    // At most the checks already running (and those started before it queued) finish first.
    expect(done.indexOf('known')).toBeLessThan(5);
  });
});
