import { randomFillSync } from 'node:crypto';

/** Bytes drawn from the CSPRNG at a time; each is handed out once and wiped when it is. */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

/**
 * `bytes` random bytes from the CSPRNG as lowercase hex. Drawn from a pool refilled 4 KiB at a time: one
 * randomBytes(16) call per session GUID and resume token cost more than the bytes themselves (the call into
 * OpenSSL and a new Buffer each; docs/benchmarks.md, pairing profile).
 */
export function randomHex(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > POOL_BYTES) throw new RangeError(`randomHex: 1 to ${POOL_BYTES} bytes, got ${bytes}`);
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  pool.fill(0, used, used + bytes); // nothing handed out stays in memory for a later heap dump to find
  used += bytes;
  return hex;
}
