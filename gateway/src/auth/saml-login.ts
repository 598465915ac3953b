import { SAML, ValidateInResponseTo, type CacheProvider, type Profile } from '@node-saml/node-saml';
import * as v from 'valibot';
import { checkedInput } from '../errors/checked-input.js';
import { GatewayError } from '../errors/gateway-error.js';
import { groupMappingSchema } from '../org/group-mapping.js';
import type { SamlSettings } from '../org/organisation.js';
import type { Registry } from '../registry/registry.js';
import type { LoginOutcome } from './auth-service.js';
import { newBearerToken, tokenIdOf } from './bearer-token.js';
import { putPendingSignIn, takePendingSignIn } from './pending-sign-in.js';
import { completeDirectoryLogin, loopbackHttpUrl, type DirectoryLoginDeps } from './directory-accounts.js';
import { RateLimiter } from './rate-limiter.js';


const samlSettingsSchema = v.strictObject({
  entryPoint: v.pipe(v.string(), v.url(), v.maxLength(1024), v.check((u) => u.startsWith('https://') || loopbackHttpUrl.test(u), 'must be https:// (http only on loopback)')),
  idpIssuer: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)),
  idpCert: v.pipe(v.string(), v.maxLength(64 * 1024), v.regex(/-----BEGIN CERTIFICATE-----/, 'a PEM certificate')),
  spEntityId: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)),
  callbackUrl: v.pipe(v.string(), v.url(), v.check((u) => u.startsWith('https://') && u.endsWith('/v1/auth/saml/acs'), 'must be https://<gateway>/v1/auth/saml/acs')),
  groupsAttribute: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(256)), 'groups'),
  nameAttribute: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(256)), 'displayName'),
  groups: groupMappingSchema,
});

/** Checks SAML settings from the admin API; throws E_BAD_REQUEST naming the field. */
export function parseSamlSettings(input: unknown): SamlSettings {
  return checkedInput(samlSettingsSchema, input, 'saml') as SamlSettings;
}

export interface SamlLoginDeps extends DirectoryLoginDeps {
  registry: Pick<Registry, 'putToken' | 'getToken' | 'deleteToken' | 'hit'>;
}

/** How long the person may take at the identity provider, and how old an assertion may be. */
const requestTtlMs = 10 * 60_000;

/**
 * SAML 2.0 Web Browser SSO (SP-initiated, HTTP-Redirect out, HTTP-POST back) through @node-saml/node-saml:
 * signed assertions only, audience and destination checked, InResponseTo of a request this cluster made
 * (kept in the registry), and each assertion ID accepted once. Groups map like OpenID Connect's; the identity
 * provider owns the second factor.
 */
export class SamlLogin {
  readonly #d: SamlLoginDeps;
  readonly #starts: RateLimiter;

  constructor(deps: SamlLoginDeps) {
    this.#d = deps;
    this.#starts = new RateLimiter({ registry: deps.registry, name: 'saml-start', perSource: { limit: 30, windowMs: 60_000 }, log: deps.log });
  }

  /**
   * The identity provider's URL to send the browser to, and the Set-Cookie that binds the sign-in to that
   * browser. RelayState is a random handle of a pending record (organisation, binding), not the organisation.
   */
  async start(orgId: string, sourceIp: string): Promise<{ url: string; setCookie: string }> {
    await this.#starts.check(sourceIp);
    const settings = (await this.#d.orgs.get(orgId))?.saml;
    if (!settings) throw new GatewayError('E_NOT_FOUND', 'SAML sign-in is not set up for this organisation');
    const relay = newBearerToken();
    const setCookie = await putPendingSignIn(this.#d, 'saml', relay, orgId, requestTtlMs);
    const url = await this.#saml(orgId, settings).getAuthorizeUrlAsync(relay, undefined, {});
    return { url, setCookie };
  }

  /**
   * The identity provider's POST back (`SAMLResponse`, `RelayState`; `cookie` is the request's Cookie
   * header): validates and logs in, in the browser that started the sign-in only.
   */
  async acs(form: Record<string, string>, sourceIp: string, cookie: string): Promise<LoginOutcome> {
    const pending = await takePendingSignIn(this.#d, 'saml', typeof form.RelayState === 'string' ? form.RelayState : '', cookie);
    if (typeof form.SAMLResponse !== 'string') throw new GatewayError('E_AUTH_FAILED', 'the identity provider sent no SAMLResponse');
    const orgId = pending.orgId;
    const settings = (await this.#d.orgs.get(orgId))?.saml;
    if (!settings) throw new GatewayError('E_AUTH_FAILED', 'SAML sign-in is no longer set up for this organisation');
    let profile: Profile | null;
    try {
      ({ profile } = await this.#saml(orgId, settings).validatePostResponseAsync({ SAMLResponse: form.SAMLResponse }));
    } catch (err) {
      // The reason (bad signature, wrong audience, unknown InResponseTo…) is for the operator's log.
      this.#d.log.warn('saml_response_refused', { orgId, err });
      throw new GatewayError('E_AUTH_FAILED', 'the sign-in could not be completed; start again');
    }
    if (!profile?.nameID) throw new GatewayError('E_AUTH_FAILED', 'the identity provider named nobody');
    // Each assertion once (SAML profiles §4.1.4.5), cluster-wide: increment, then check.
    // node-saml hands back the signed assertion it checked; its ID attribute names it.
    const assertionId = /<(?:[\w-]+:)?Assertion\b[^>]*\sID="([^"]+)"/.exec(profile.getAssertionXml?.() ?? '')?.[1] ?? '';
    if (!assertionId || (await this.#d.registry.hit(`saml-assertion:${tokenIdOf(`${settings.idpIssuer}\n${assertionId}`)}`, requestTtlMs)) !== 1) {
      this.#d.log.warn('saml_assertion_replayed', { orgId });
      throw new GatewayError('E_AUTH_FAILED', 'this sign-in was already used; start again');
    }
    const login = profile.nameID.toLowerCase();
    // The provider checked the person; the attempt still meets the per-source limit and the lock.
    const attempt = await this.#d.auth.admitAttempt(`${login}@${orgId}`, sourceIp, { localPasswordCheck: false });
    const raw = profile[settings.groupsAttribute];
    const groups = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((g): g is string => typeof g === 'string');
    const displayName = typeof profile[settings.nameAttribute] === 'string' ? (profile[settings.nameAttribute] as string) : login;
    const externalId = `${settings.idpIssuer}#${profile.nameID}`;
    return completeDirectoryLogin(this.#d, attempt, { orgId, source: 'saml', login, externalId, displayName, groups, mapping: settings.groups }, sourceIp);
  }

  #saml(orgId: string, s: SamlSettings): SAML {
    return new SAML({
      entryPoint: s.entryPoint,
      issuer: s.spEntityId,
      audience: s.spEntityId,
      callbackUrl: s.callbackUrl,
      idpCert: s.idpCert,
      idpIssuer: s.idpIssuer,
      // The assertion must be signed; a signed envelope around an unsigned assertion is not enough.
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
      validateInResponseTo: ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: requestTtlMs,
      maxAssertionAgeMs: requestTtlMs,
      acceptedClockSkewMs: 60_000,
      cacheProvider: this.#requestCache(orgId),
      signatureAlgorithm: 'sha256',
    });
  }

  /** The ids of requests this cluster sent, per organisation, in the registry (any gateway may receive the POST). */
  #requestCache(orgId: string): CacheProvider {
    const key = (id: string) => `saml:${tokenIdOf(`${orgId}\n${id}`)}`;
    const registry = this.#d.registry;
    const clock = this.#d.clock;
    return {
      saveAsync: async (id, value) => {
        const createdAt = clock();
        await registry.putToken(key(id), { technicianId: '', orgId, epoch: 0, expiresAt: createdAt + requestTtlMs, purpose: 'sso-state', step: 'saml', nonce: value }, requestTtlMs);
        return { value, createdAt };
      },
      getAsync: async (id) => {
        const record = await registry.getToken(key(id));
        return record && record.purpose === 'sso-state' && record.step === 'saml' && record.orgId === orgId ? (record.nonce ?? null) : null;
      },
      removeAsync: async (id) => {
        if (id) await registry.deleteToken(key(id));
        return id;
      },
    };
  }
}
