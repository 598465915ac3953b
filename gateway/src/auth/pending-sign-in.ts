import type { Clock } from '../clock.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../log/logger.js';
import type { Registry, TokenRecord } from '../registry/registry.js';
import { tokenIdOf } from './bearer-token.js';
import { bindingMatches, bindingSetCookie, newBrowserBinding } from './browser-binding.js';

export interface PendingSignInDeps {
  registry: Pick<Registry, 'putToken' | 'getToken' | 'deleteToken'>;
  clock: Clock;
  log: Logger;
}

/** Fields a single sign-on keeps with its pending sign-in besides the organisation (PKCE verifier, nonce). */
export type PendingExtras = Pick<TokenRecord, 'verifier' | 'nonce'>;

const keyOf = (kind: string, handle: string) => `sso:${kind}:${tokenIdOf(handle)}`;

/**
 * A sign-in at an identity provider between `…/start` and the callback, kept in the registry under a hash
 * of its handle (OIDC `state`, SAML `RelayState`) so any gateway takes the callback, and bound to the browser
 * that started it (auth/browser-binding.ts). Returns the Set-Cookie for that browser.
 */
export async function putPendingSignIn(d: PendingSignInDeps, kind: string, handle: string, orgId: string, ttlMs: number, extras: PendingExtras = {}): Promise<string> {
  const binding = newBrowserBinding();
  await d.registry.putToken(
    keyOf(kind, handle),
    { technicianId: '', orgId, epoch: 0, expiresAt: d.clock() + ttlMs, purpose: 'sso-state', step: kind, binding: binding.hash, ...extras },
    ttlMs,
  );
  return bindingSetCookie(binding.value, Math.ceil(ttlMs / 1000));
}

/**
 * Takes the pending sign-in once (a replayed callback finds nothing) and checks that `cookie` is the browser
 * that started it. E_AUTH_FAILED otherwise: unknown, expired, or another browser (login CSRF).
 */
export async function takePendingSignIn(d: PendingSignInDeps, kind: string, handle: string, cookie: string): Promise<TokenRecord> {
  const record = handle.length > 0 && handle.length <= 256 ? await d.registry.getToken(keyOf(kind, handle)) : null;
  if (!record || record.purpose !== 'sso-state' || record.step !== kind || record.expiresAt <= d.clock()) {
    throw new GatewayError('E_AUTH_FAILED', 'this sign-in is unknown or has expired; start again');
  }
  await d.registry.deleteToken(keyOf(kind, handle));
  if (!bindingMatches(cookie, record.binding)) {
    d.log.warn('sso_browser_mismatch', { kind, orgId: record.orgId });
    throw new GatewayError('E_AUTH_FAILED', 'finish the sign-in in the browser that started it');
  }
  return record;
}
