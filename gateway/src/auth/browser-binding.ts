import { createHash } from 'node:crypto';
import { constantTimeEqual } from './constant-time.js';
import { newBearerToken } from './bearer-token.js';

/**
 * Binds a pending single sign-on to the browser that started it: a random value in an HttpOnly cookie, its
 * SHA-256 in the pending record. The callback must come with the same cookie, so a sign-in started by
 * someone else cannot be completed in a victim's browser (login CSRF, RFC 6749 §10.12).
 */
export const bindingCookie = 'rd_sso';

export function newBrowserBinding(): { value: string; hash: string } {
  const value = newBearerToken();
  return { value, hash: hashOf(value) };
}

/**
 * The Set-Cookie header for the binding. SameSite=None because a SAML identity provider POSTs back from its
 * own site (a Lax cookie would not come along); Secure, HttpOnly, scoped to the sign-in paths, 10 minutes.
 */
export function bindingSetCookie(value: string, maxAgeSeconds: number): string {
  return `${bindingCookie}=${value}; Path=/v1/auth/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=None`;
}

/** Whether the request's Cookie header carries the binding whose hash the record holds. */
export function bindingMatches(cookieHeader: string, expectedHash: string | undefined): boolean {
  if (!expectedHash) return false;
  const value = cookieHeader
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${bindingCookie}=`))
    ?.slice(bindingCookie.length + 1);
  return value !== undefined && value.length <= 64 && constantTimeEqual(hashOf(value), expectedHash);
}

function hashOf(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
