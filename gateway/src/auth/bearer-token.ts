import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../crypto/sha256.js';

/** 32 random bytes, base64url without padding: 43 characters. */
const tokenPattern = /^[A-Za-z0-9_-]{43}$/;

/** A new bearer token. Only its id (below) is ever stored; the token itself goes to the client once. */
export function newBearerToken(): string {
  return randomBytes(32).toString('base64url');
}

/** True when the string has the shape of a token we issue; anything else is refused before a registry lookup. */
export function isWellFormedToken(token: string): boolean {
  return tokenPattern.test(token);
}

/**
 * The registry key of a token: SHA-256 of it, hex. A leaked registry dump (or a Redis MONITOR) shows ids
 * that cannot be replayed; a fast hash suffices because the token has 256 bits of entropy, unlike a password.
 */
export function tokenIdOf(token: string): string {
  return sha256Hex(token);
}
