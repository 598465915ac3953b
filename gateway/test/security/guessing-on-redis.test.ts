// PIN and password guessing against a real gateway on a real Redis (issue 13): limits hold under
// concurrency, and real customers still get in while many addresses guess.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RelaydeskClient } from '../../../clients/sdk/src/node.js';
import { startRedisServer, type RedisServer } from '../redis-server.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';

let redis: RedisServer;
let t: TestGateway;
let tech: RelaydeskClient;
let victimPassword: string;

beforeAll(async () => {
  redis = await startRedisServer();
  t = await startTestGateway({
    registry: 'redis',
    redisUrl: redis.url,
    redisKeyPrefix: 'pinguess:',
    pinGuessesPerAddress: '20',
    pinGuessesPerPrefix: '100000',
    pinGuessesGlobal: '40',
    pinGuessesUnderAttack: '3',
    maxSessionsPerTechnician: '100',
    loginAttemptsPerAddress: '1000',
    // The lock, not the login budget, is under test here.
    loginsPerSecond: '100000',
    maxFailedLogins: '5',
  });
  const pw = await t.addTechnician('tess', 'acme');
  victimPassword = await t.addTechnician('vic', 'acme');
  tech = t.client();
  await tech.login('tess', pw);
});
afterAll(async () => {
  await t?.stop();
  await redis?.stop();
});

/** One join over a bare WebSocket from `localAddress`; resolves with the error code, or 'joined'. */
function join(pin: string, localAddress: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(t.baseUrl.replace('https:', 'wss:') + '/v1/customer', { ca: t.gateway.caPem, localAddress, perMessageDeflate: false });
    const done = (r: string) => {
      clearTimeout(timer);
      resolve(r);
      ws.terminate();
    };
    const timer = setTimeout(() => done('timeout'), 15_000);
    ws.on('open', () => ws.send(JSON.stringify({ v: 1, type: 'join', pin, name: 'guess' })));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string; code?: string; state?: string };
      if (m.type === 'error') done(m.code!);
      else if (m.type === 'state' && m.state === 'waiting') done('joined');
    });
    ws.on('error', (err) => done(`socket: ${err.message}`));
  });
}

const wrongPin = (i: number) => String(10 ** 13 + i);
const count = (codes: string[], code: string) => codes.filter((c) => c === code).length;

describe('PIN guessing on Redis', () => {
  it('210 simultaneous wrong PINs from one address: at most the limit are evaluated', async () => {
    const codes = await Promise.all(Array.from({ length: 210 }, (_, i) => join(wrongPin(i), '127.0.0.1')));
    expect(count(codes, 'E_PIN_INVALID')).toBeLessThanOrEqual(20);
    expect(count(codes, 'E_PIN_INVALID') + count(codes, 'E_RATE_LIMITED')).toBe(210);
  });

  it('while 50 addresses guess, 20 of 20 real customers from fresh addresses get in', async () => {
    const attack = Promise.all(
      Array.from({ length: 50 }, (_, a) => Promise.all(Array.from({ length: 5 }, (_, k) => join(wrongPin(1000 + a * 10 + k), `127.30.${a}.1`)))),
    );
    const sessions = await Promise.all(Array.from({ length: 20 }, () => tech.createSession()));
    const customers = await Promise.all(sessions.map((s, i) => join(s.pin, `127.40.${i}.1`)));
    const guesses = (await attack).flat();
    expect(customers).toEqual(Array(20).fill('joined'));
    // The new log lines name sources, never a PIN.
    const log = t.logLines.join('\n');
    for (const s of sessions) expect(log).not.toContain(s.pin);
    // The global budget was crossed, so the guessers were cut to their first tries.
    expect(count(guesses, 'E_RATE_LIMITED')).toBeGreaterThan(0);
    expect(count(guesses, 'E_PIN_INVALID')).toBeLessThanOrEqual(40 + 50 * 3);
    await new Promise((r) => setTimeout(r, 100));
    const crossed = t.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'limit.crossed' && l.limit === 'pin_guesses');
    expect(crossed.filter((l) => l.scope === 'global')).not.toHaveLength(0);
    // One line per source and window, not one per refused attempt.
    const sources = crossed.map((l) => `${l.scope}:${l.source}`);
    expect(new Set(sources).size).toBe(sources.length);
  });
});

describe('password guessing on Redis', () => {
  it('150 simultaneous logins on one username: the lock holds and the right password, sent last, stays out', async () => {
    const attempt = (password: string) =>
      t.client().login('vic', password).then(
        () => 'ok',
        (err: { code?: string }) => err.code ?? String(err),
      );
    const wrong = Array.from({ length: 149 }, (_, i) => attempt(`wrong-${i}`));
    // Sent last: after the others have reached the gateway (connections on a loaded machine are not ordered,
    // and the lock only promises that no more than the limit are checked, whichever they are).
    await new Promise((r) => setTimeout(r, 500));
    const codes = await Promise.all([...wrong, attempt(victimPassword)]);
    expect(codes.at(-1)).toBe('E_ACCOUNT_LOCKED');
    expect(count(codes, 'E_AUTH_FAILED')).toBeLessThanOrEqual(5);
    expect(count(codes, 'E_AUTH_FAILED') + count(codes, 'E_ACCOUNT_LOCKED')).toBe(150);
    // Another address is not locked out of the account.
    expect(await t.client({ localAddress: '127.0.0.9' }).login('vic', victimPassword).then(() => 'ok')).toBe('ok');
  });
});
