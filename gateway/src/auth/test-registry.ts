// Test-only: the counter and token parts of a Registry, in memory, on an injected clock.
// TODO: switch the auth tests to registry/memory-registry.ts once it lands.
import type { Clock } from '../clock.js';
import type { TokenRecord } from '../registry/registry.js';
import type { AuthRegistry } from './auth-service.js';

export function createTestRegistry(clock: Clock): AuthRegistry & { tokenIds(): string[] } {
  const counters = new Map<string, { n: number; until: number }>();
  const tokens = new Map<string, { record: TokenRecord; until: number }>();
  const live = <T extends { until: number }>(m: Map<string, T>, key: string): T | undefined => {
    const v = m.get(key);
    if (v && v.until <= clock()) {
      m.delete(key);
      return undefined;
    }
    return v;
  };
  return {
    async hit(key, windowMs) {
      const c = live(counters, key) ?? { n: 0, until: clock() + windowMs };
      c.n++;
      counters.set(key, c);
      return c.n;
    },
    async count(key) {
      return live(counters, key)?.n ?? 0;
    },
    async resetCounter(key) {
      counters.delete(key);
    },
    async putToken(id, record, ttlMs) {
      tokens.set(id, { record: { ...record }, until: clock() + ttlMs });
    },
    async getToken(id) {
      const t = live(tokens, id);
      return t ? { ...t.record } : null;
    },
    async deleteToken(id) {
      tokens.delete(id);
    },
    tokenIds: () => [...tokens.keys()],
  };
}
