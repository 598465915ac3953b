import { randomInt } from 'node:crypto';
import { randomHex } from '../crypto/random-hex.js';

/** 128 bits from the CSPRNG, as 32 lowercase hex characters. */
export function newSessionGuid(): string {
  return randomHex(16);
}

/** A uniformly random numeric PIN of `digits` digits (leading zeros kept), from the CSPRNG. */
export function newPin(digits: number): string {
  // randomInt's range is limited to 2^48 (14 digits fit), so longer PINs are made of two uniform halves.
  const high = Math.max(0, digits - 8);
  const part = (n: number) => (n === 0 ? '' : String(randomInt(0, 10 ** n)).padStart(n, '0'));
  return part(high) + part(digits - high);
}
