import { randomHex } from '../crypto/random-hex.js';
import { sha256Hex } from '../crypto/sha256.js';

/**
 * Resume tokens: 128 random bits a participant presents to come back after a lost connection. Only their
 * SHA-256 is kept (in the live session and the registry), and each is good for one resume: every use hands
 * out a new one.
 */
export function newResumeToken(): { token: string; hash: string } {
  const token = randomHex(16);
  return { token, hash: hashResumeToken(token) };
}

export function hashResumeToken(token: string): string {
  return sha256Hex(token);
}
