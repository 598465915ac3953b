import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../test/redis-server.js';
import { GatewayError } from '../errors/gateway-error.js';
import { LimitCrossings } from '../limits/limit-crossings.js';
import { createLogger } from '../log/logger.js';
import { MemoryRegistry } from '../registry/memory-registry.js';
import { connectRedisRegistry } from '../registry/redis-registry.js';
import type { Registry } from '../registry/registry.js';
import { PinGuard, type PinGuardLimits } from './pin-guard.js';

let redis: RedisServer;
let prefixSeq = 0;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

const limits: PinGuardLimits = { windowMs: 60_000, perAddress: 20, perPrefix: 1000, global: 100_000, underAttack: 3 };

/** Outcome of one attempt whose PIN is wrong: evaluated (and failed), or refused before evaluation. */
async function wrongPin(guard: PinGuard, ip: string): Promise<'evaluated' | 'refused'> {
  try {
    await guard.reserve(ip);
    return 'evaluated';
  } catch (err) {
    if (err instanceof GatewayError && err.code === 'E_RATE_LIMITED') return 'refused';
    throw err;
  }
}

const tally = (outcomes: string[]) => ({ evaluated: outcomes.filter((o) => o === 'evaluated').length, refused: outcomes.filter((o) => o === 'refused').length });

const subjects: [string, () => Promise<Registry>][] = [
  ['memory', async () => new MemoryRegistry()],
  ['redis', () => connectRedisRegistry({ url: redis.url, keyPrefix: `pg${++prefixSeq}:` })],
];

describe.each(subjects)('PinGuard on the %s registry', (_name, open) => {
  it('evaluates at most the per-address limit of 500 wrong PINs sent at once from one address', async () => {
    const registry = await open();
    try {
      const guard = new PinGuard({ registry }, limits);
      const outcomes = await Promise.all(Array.from({ length: 500 }, () => wrongPin(guard, '192.0.2.10')));
      expect(tally(outcomes)).toEqual({ evaluated: 20, refused: 480 });
      // Another address has its own budget.
      expect(await wrongPin(guard, '192.0.2.11')).toBe('evaluated');
    } finally {
      await registry.close();
    }
  });

  it('gives a right PIN its reservation back, so customers who type it right never use up a budget', async () => {
    const registry = await open();
    try {
      const guard = new PinGuard({ registry }, { ...limits, perAddress: 3 });
      for (let i = 0; i < 10; i++) await (await guard.reserve('192.0.2.20')).succeeded();
      expect(tally(await Promise.all(Array.from({ length: 5 }, () => wrongPin(guard, '192.0.2.20'))))).toEqual({ evaluated: 3, refused: 2 });
    } finally {
      await registry.close();
    }
  });

  it('holds a per-/24 budget across many addresses of one network', async () => {
    const registry = await open();
    try {
      const guard = new PinGuard({ registry }, { ...limits, perAddress: 5, perPrefix: 30 });
      const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => wrongPin(guard, `198.51.100.${i + 1}`)));
      expect(tally(outcomes)).toEqual({ evaluated: 30, refused: 70 });
      expect(await wrongPin(guard, '198.51.101.1')).toBe('evaluated');
      // IPv6: the /48 is the network.
      const v6 = await Promise.all(Array.from({ length: 40 }, (_, i) => wrongPin(guard, `2001:db8:5:${i.toString(16)}::1`)));
      expect(tally(v6).evaluated).toBe(30);
    } finally {
      await registry.close();
    }
  });

  it('under attack cuts unproven addresses to their first tries, and a customer with the right PIN still gets in', async () => {
    const registry = await open();
    try {
      const lines: string[] = [];
      const log = createLogger({ level: 'debug', write: (l) => lines.push(l) });
      const crossings = new LimitCrossings({ registry, log, now: Date.now });
      const guard = new PinGuard({ registry, crossings, log }, { ...limits, perAddress: 20, global: 50, underAttack: 3 });
      // A customer who joined before the attack: proven.
      await (await guard.reserve('203.0.113.200')).succeeded();
      // The attack: 100 addresses, 10 wrong PINs each.
      const attack = await Promise.all(
        Array.from({ length: 100 }, (_, a) => Promise.all(Array.from({ length: 10 }, () => wrongPin(guard, `10.${a}.0.1`)))),
      );
      const perAddress = attack.map((o) => tally(o).evaluated);
      // Before the global budget ran out an address got up to 20; after it, 3 at most.
      expect(perAddress.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(50 + 100 * 3);
      expect(Math.max(...perAddress)).toBeLessThanOrEqual(10);
      expect(tally(await Promise.all(Array.from({ length: 10 }, () => wrongPin(guard, '10.0.0.1')))).evaluated).toBe(0);
      // A new customer (fresh address) with the right PIN: the first attempt is evaluated, so it gets in.
      const fresh = await guard.reserve('203.0.113.7');
      await fresh.succeeded();
      // A new customer who mistypes twice, then types it right.
      expect(await wrongPin(guard, '203.0.113.8')).toBe('evaluated');
      expect(await wrongPin(guard, '203.0.113.8')).toBe('evaluated');
      await (await guard.reserve('203.0.113.8')).succeeded();
      // The proven address keeps its full budget during the attack.
      expect(tally(await Promise.all(Array.from({ length: 10 }, () => wrongPin(guard, '203.0.113.200')))).evaluated).toBe(10);
      // Logged once per source and window, with the source; the global crossing once.
      await new Promise((r) => setTimeout(r, 50));
      const crossed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'limit.crossed');
      expect(crossed.filter((l) => l.scope === 'global' && l.source === 'all')).toHaveLength(1);
      const bySource = crossed.filter((l) => l.source === '10.0.0.1');
      expect(bySource).toHaveLength(1);
      expect(bySource[0]).toMatchObject({ limit: 'pin_guesses', scope: 'global' });
    } finally {
      await registry.close();
    }
  });
});
