import { randomBytes, randomInt } from 'node:crypto';

/** 128 bits from the CSPRNG, as 32 lowercase hex characters. */
export function newSessionGuid(): string {
  return randomBytes(16).toString('hex');
}

/** A uniformly random numeric PIN of `digits` digits (leading zeros kept), from the CSPRNG. */
export function newPin(digits: number): string {
  // randomInt's range is limited to 2^48; 12 digits fit.
  return String(randomInt(0, 10 ** digits)).padStart(digits, '0');
}
