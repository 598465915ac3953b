import * as client from 'openid-client';
import * as v from 'valibot';
import { checkedInput } from '../errors/checked-input.js';
import { GatewayError } from '../errors/gateway-error.js';
import { groupMappingSchema } from '../org/group-mapping.js';
import type { OidcSettings } from '../org/organisation.js';
import type { Registry } from '../registry/registry.js';
import type { LoginOutcome } from './auth-service.js';
import { putPendingSignIn, takePendingSignIn } from './pending-sign-in.js';
import { completeDirectoryLogin, loopbackHttpUrl, type DirectoryLoginDeps } from './directory-accounts.js';
import { RateLimiter } from './rate-limiter.js';

const httpsOrLoopback = (u: string) => u.startsWith('https://') || loopbackHttpUrl.test(u);

const oidcSettingsSchema = v.strictObject({
  issuer: v.pipe(v.string(), v.url(), v.maxLength(1024), v.check(httpsOrLoopback, 'must be https:// (http only on loopback)')),
  clientId: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
  clientSecret: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)),
  redirectUri: v.pipe(v.string(), v.url(), v.maxLength(1024), v.check((u) => u.startsWith('https://') && u.endsWith('/v1/auth/oidc/callback'), 'must be https://<gateway>/v1/auth/oidc/callback')),
  scope: v.optional(v.pipe(v.string(), v.maxLength(512), v.check((s) => s.split(' ').includes('openid'), 'must include openid')), 'openid profile email'),
  groupsClaim: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_:.\/-]{1,128}$/)), 'groups'),
  groups: groupMappingSchema,
});

/** Checks OpenID Connect settings from the admin API; throws E_BAD_REQUEST naming the field. */
export function parseOidcSettings(input: unknown): OidcSettings {
  return checkedInput(oidcSettingsSchema, input, 'oidc') as OidcSettings;
}

export interface OidcLoginDeps extends DirectoryLoginDeps {
  registry: Pick<Registry, 'putToken' | 'getToken' | 'deleteToken' | 'hit'>;
  /** How long the person may take at the provider (ms). */
  stateTtlMs?: number;
  /** Starts allowed per source address per minute: each start stores a state record. */
  startsPerSourcePerMinute?: number;
}

/** Discovery documents are fetched once per this long per provider (ms). */
const discoveryTtlMs = 10 * 60_000;

/**
 * OpenID Connect single sign-on: authorisation code flow with PKCE (RFC 7636, S256), state and nonce.
 * The pending login lives in the registry (any gateway of the cluster may receive the callback); the
 * groups claim maps to role and team like LDAP groups do. The identity provider owns the second factor.
 */
export class OidcLogin {
  readonly #d: OidcLoginDeps;
  readonly #configs = new Map<string, { config: client.Configuration; fetchedAt: number }>();
  readonly #starts: RateLimiter;

  constructor(deps: OidcLoginDeps) {
    this.#d = deps;
    this.#starts = new RateLimiter({ registry: deps.registry, name: 'oidc-start', perSource: { limit: deps.startsPerSourcePerMinute ?? 30, windowMs: 60_000 }, log: deps.log });
  }

  /** The provider's authorisation URL to send the browser to, and the Set-Cookie that binds the sign-in to it. */
  async start(orgId: string, sourceIp: string): Promise<{ url: string; setCookie: string }> {
    await this.#starts.check(sourceIp);
    const settings = (await this.#d.orgs.get(orgId))?.oidc;
    if (!settings) throw new GatewayError('E_NOT_FOUND', 'single sign-on is not set up for this organisation');
    const config = await this.#config(settings);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const setCookie = await putPendingSignIn(this.#d, 'oidc', state, orgId, this.#d.stateTtlMs ?? 10 * 60_000, { verifier, nonce });
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: settings.redirectUri,
      scope: settings.scope,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, setCookie };
  }

  /**
   * The provider's redirect back (`query` is the raw query string, `cookie` the request's Cookie header):
   * exchanges the code and logs in, in the browser that started the sign-in only.
   */
  async callback(query: string, sourceIp: string, cookie: string): Promise<LoginOutcome> {
    const params = new URLSearchParams(query);
    const state = params.get('state') ?? '';
    const record = await takePendingSignIn(this.#d, 'oidc', state, cookie);
    const orgId = record.orgId;
    const settings = (await this.#d.orgs.get(orgId))?.oidc;
    if (!settings) throw new GatewayError('E_AUTH_FAILED', 'single sign-on is no longer set up for this organisation');
    if (params.has('error')) {
      this.#d.log.info('oidc_refused_by_provider', { orgId, error: params.get('error')?.slice(0, 100) });
      throw new GatewayError('E_AUTH_FAILED', 'the identity provider refused the sign-in');
    }
    const config = await this.#config(settings);
    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(config, new URL(`${settings.redirectUri}?${query}`), {
        pkceCodeVerifier: record.verifier,
        expectedState: state,
        expectedNonce: record.nonce,
        idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      if (!Array.isArray(claims[settings.groupsClaim])) {
        // Many providers put groups only in userinfo (OIDC Core §5.4 lets them).
        claims = { ...claims, ...(await client.fetchUserInfo(config, tokens.access_token, String(claims.sub))) };
      }
    } catch (err) {
      throw this.#classify(err, orgId);
    }
    const sub = String(claims.sub ?? '');
    const login = String(claims.preferred_username ?? claims.email ?? sub).toLowerCase();
    // The provider checked the person; the attempt still meets the per-source limit and the lock.
    const attempt = await this.#d.auth.admitAttempt(`${login}@${orgId}`, sourceIp, { localPasswordCheck: false });
    const groups = (claims[settings.groupsClaim] as unknown[] | undefined)?.filter((g): g is string => typeof g === 'string') ?? [];
    const externalId = `${settings.issuer}#${sub}`;
    return completeDirectoryLogin(this.#d, attempt, { orgId, source: 'oidc', login, externalId, displayName: String(claims.name ?? login), groups, mapping: settings.groups }, sourceIp);
  }

  async #config(settings: OidcSettings): Promise<client.Configuration> {
    const key = `${settings.issuer}\n${settings.clientId}\n${settings.clientSecret}`;
    const cached = this.#configs.get(key);
    if (cached && this.#d.clock() - cached.fetchedAt < discoveryTtlMs) return cached.config;
    try {
      const insecure = settings.issuer.startsWith('http://') ? { execute: [client.allowInsecureRequests] } : {};
      const config = await client.discovery(new URL(settings.issuer), settings.clientId, settings.clientSecret, undefined, { timeout: 5, ...insecure });
      if (this.#configs.size > 100) this.#configs.clear();
      this.#configs.set(key, { config, fetchedAt: this.#d.clock() });
      return config;
    } catch (err) {
      this.#d.log.error('oidc_discovery_failed', { issuer: settings.issuer, err });
      throw new GatewayError('E_DIRECTORY_UNAVAILABLE');
    }
  }

  /** A provider that does not answer is E_DIRECTORY_UNAVAILABLE; a refused exchange (bad code, nonce, PKCE) E_AUTH_FAILED. */
  #classify(err: unknown, orgId: string): GatewayError {
    if (err instanceof GatewayError) return err;
    const e = err as Error & { code?: string; cause?: { code?: string } };
    const network = e instanceof TypeError || /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|UND_ERR/.test(`${e.code} ${e.cause?.code}`);
    this.#d.log.warn(network ? 'oidc_provider_unavailable' : 'oidc_exchange_refused', { orgId, err: e, code: e.code });
    return network ? new GatewayError('E_DIRECTORY_UNAVAILABLE') : new GatewayError('E_AUTH_FAILED', 'the sign-in could not be completed; start again');
  }
}
