import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets (PINs, shared keys) in time that depends on neither their contents nor the length of
 * the expected one: both sides are hashed to 32 bytes first, so timingSafeEqual never sees unequal lengths.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  // The final `a === b` only runs on equal digests, i.e. (barring a SHA-256 collision) equal strings.
  return timingSafeEqual(ha, hb) && a === b;
}
