import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

/** Lower-case letters and digits without 0/o, 1/l/i: read off paper and typed. 31 symbols, ~4.95 bits each. */
const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
const groups = 5;
const groupLength = 4;
export const recoveryCodeCount = 10;

/**
 * Ten fresh recovery codes (shown once) and their SHA-256 hashes (stored). 20 random symbols are ~99 bits,
 * far beyond offline guessing, so a fast hash suffices here as it does for bearer tokens (bearer-token.ts);
 * a slow hash would only make each login try ten scrypts.
 */
export function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes: string[] = [];
  for (let c = 0; c < recoveryCodeCount; c++) {
    const parts: string[] = [];
    for (let g = 0; g < groups; g++) {
      let part = '';
      for (let i = 0; i < groupLength; i++) part += alphabet[randomInt(alphabet.length)];
      parts.push(part);
    }
    codes.push(parts.join('-'));
  }
  return { codes, hashes: codes.map(hashRecoveryCode) };
}

/** Dashes, spaces and case do not matter when a person types the code back. */
function normalise(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(normalise(code), 'utf8').digest('hex');
}

/**
 * The index of the stored hash `code` matches, or -1. Every stored hash is compared, in constant time, so the
 * answer's timing says nothing about which (or whether one) matched. The caller removes the used one.
 */
export function findRecoveryCode(hashes: readonly string[], code: string): number {
  if (typeof code !== 'string' || code.length > 64) return -1;
  const given = Buffer.from(hashRecoveryCode(code), 'hex');
  let found = -1;
  for (let i = 0; i < hashes.length; i++) {
    const stored = Buffer.from(hashes[i]!, 'hex');
    if (stored.length === given.length && timingSafeEqual(stored, given) && found === -1) found = i;
  }
  return found;
}
