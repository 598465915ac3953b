import type { TokenRecord } from '../registry/registry.js';

/**
 * Inactivity logout: a token also dies `idleMs` after its last use, whatever its lifetime says.
 * Each use would be a registry write; instead lastUsedAt moves only when it is older than a quarter of the
 * idle limit (at most every minute), so a busy console costs one write a minute and a token still dies
 * between 0.75 and 1.0 times idleMs after its last use.
 */
export function idleExpired(record: TokenRecord, now: number): boolean {
  return record.idleMs !== undefined && record.lastUsedAt !== undefined && now - record.lastUsedAt >= record.idleMs;
}

/** The record to write back after a use at `now`, or null when the stored one is recent enough. */
export function touched(record: TokenRecord, now: number): TokenRecord | null {
  if (record.idleMs === undefined || record.lastUsedAt === undefined) return null;
  const step = Math.min(60_000, Math.floor(record.idleMs / 4));
  return now - record.lastUsedAt >= step ? { ...record, lastUsedAt: now } : null;
}
