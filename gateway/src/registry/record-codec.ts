import type { SessionRecord } from '../session/session-record.js';

/**
 * How a SessionRecord lives in a Redis hash: one field per record field, each value JSON-encoded, so a
 * string stays a string and a number a number without a per-field type table, and the Lua
 * compare-and-set can compare `state` / `orgId` against JSON-encoded expectations without a JSON parser.
 * Fields whose name starts with `_` are the registry's own bookkeeping and never reach the record.
 */

/** Hash field set while the session's PIN key still belongs to it (cleared by releasePin). */
export const pinHeldField = '_pin';

/**
 * Hash field: until when (ms, the writing gateway's clock) the PIN key is sure to live. A compare-and-set
 * whose new lifetime ends before it needs no command for the PIN key (docs/benchmarks.md, Redis commands).
 */
export const pinUntilField = '_pinUntil';

/** Flat [field, value, field, value, …] for HSET, skipping undefined values (JSON has none). */
export function encodeFields(entries: Iterable<[string, unknown]>): string[] {
  const out: string[] = [];
  for (const [field, value] of entries) if (value !== undefined) out.push(field, JSON.stringify(value));
  return out;
}

export function encodeValue(value: unknown): string {
  return JSON.stringify(value);
}

/** The record in a hash as returned by HGETALL (an object) or by Lua (a flat array); null when empty. */
export function decodeRecord(hash: Record<string, string> | readonly string[]): SessionRecord | null {
  const entries: [string, string][] = [];
  if (Array.isArray(hash)) {
    for (let i = 0; i + 1 < hash.length; i += 2) entries.push([hash[i]!, hash[i + 1]!]);
  } else {
    entries.push(...Object.entries(hash as Record<string, string>));
  }
  if (entries.length === 0) return null;
  const record: Record<string, unknown> = {};
  for (const [field, value] of entries) if (!field.startsWith('_')) record[field] = JSON.parse(value);
  return record as unknown as SessionRecord;
}
