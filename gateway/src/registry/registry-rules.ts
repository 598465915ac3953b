import type { SessionRecord } from '../session/session-record.js';
import type { SessionPatch } from './registry.js';

/**
 * Rules both registries apply the same way. The memory registry runs them in JS; the Redis registry
 * runs the compare-and-set inside Lua (one round trip, atomic), so only these pure helpers are shared.
 */

/** Candidates asked of `nextPin` before createSession gives up with E_CAPACITY. With 6-digit PINs and
 * even 100k live sessions a candidate is free 90% of the time, so 20 misses in a row means "full". */
export const maxPinAttempts = 20;

/** Listing order of waiting sessions: oldest first; the GUID breaks ties so the order is total. */
export function oldestFirst(a: SessionRecord, b: SessionRecord): number {
  return a.createdAt - b.createdAt || (a.guid < b.guid ? -1 : a.guid > b.guid ? 1 : 0);
}

/**
 * The fields a patch writes. An `undefined` value means "leave unchanged", not "delete": the record is
 * JSON-safe data and JSON has no undefined, so both registries must read it the same way.
 */
export function patchEntries(patch: SessionPatch): [keyof SessionRecord, unknown][] {
  const out: [keyof SessionRecord, unknown][] = [];
  for (const [k, v] of Object.entries(patch.set)) if (v !== undefined) out.push([k as keyof SessionRecord, v]);
  return out;
}

/** A time to live must be a positive whole number of milliseconds (Redis PEXPIRE rejects anything else). */
export function checkTtl(ttlMs: number, what: string): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`${what} must be a positive number of ms, got ${ttlMs}`);
  return Math.ceil(ttlMs);
}

/**
 * The lifetime a patch asks for, from now: ttlMs, or ttlPastExpiresMs after the record's expiresAt (at least
 * 1 ms: a record already past it is as good as gone); undefined when the patch keeps the lifetime.
 */
export function patchTtl(patch: SessionPatch, record: Pick<SessionRecord, 'expiresAt'>, now: number): number | undefined {
  if (patch.ttlPastExpiresMs !== undefined) return Math.max(1, Math.ceil(record.expiresAt + patch.ttlPastExpiresMs - now));
  return patch.ttlMs === undefined ? undefined : checkTtl(patch.ttlMs, 'ttlMs');
}
