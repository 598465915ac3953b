import { createHash, randomBytes } from 'node:crypto';

/**
 * Resume tokens: 128 random bits a participant presents to come back after a lost connection. Only their
 * SHA-256 is kept (in the live session and the registry), and each is good for one resume: every use hands
 * out a new one.
 */
export function newResumeToken(): { token: string; hash: string } {
  const token = randomBytes(16).toString('hex');
  return { token, hash: hashResumeToken(token) };
}

export function hashResumeToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
