import type { TemplatedApp } from 'uWebSockets.js';
import type { AuthService } from '../auth/auth-service.js';
import type { LdapLogin } from '../auth/ldap-login.js';
import type { OidcLogin } from '../auth/oidc-login.js';
import type { SamlLogin } from '../auth/saml-login.js';
import { GatewayError } from '../errors/gateway-error.js';
import { bearerToken, field, objectBody, pathParam, route, type HttpDeps } from './http-io.js';

export type LoginApiAuth = Pick<AuthService, 'authenticate' | 'completeSecondFactor' | 'enrolDuringLogin' | 'startEnrolment' | 'confirmEnrolment'>;

export interface LoginApiDeps extends HttpDeps {
  auth: LoginApiAuth;
  ldap: Pick<LdapLogin, 'login'>;
  oidc: Pick<OidcLogin, 'start' | 'callback'>;
  saml: Pick<SamlLogin, 'start' | 'acs'>;
}

/**
 * Logins beyond the password one (docs/protocol.md): LDAP, OpenID Connect and SAML sign-in, the second step
 * of a two-step login and TOTP enrolment.
 */
export function registerLoginApi(app: TemplatedApp, deps: LoginApiDeps): void {
  const { auth } = deps;

  route(app, 'post', '/v1/auth/ldap/login', 'login_ldap', async (ctx) => {
    const body = objectBody(await ctx.body);
    const org = field(body, 'org', { max: 63 });
    const result = await deps.ldap.login(org, field(body, 'username', { max: 256 }), field(body, 'password', { max: 1024 }), ctx.remoteIp);
    return { status: 200, body: result };
  }, deps);

  // A browser is sent here to sign in with its organisation's identity provider, and comes back to the callback.
  route(app, 'get', '/v1/auth/oidc/:org/start', 'oidc_start', async (ctx) => {
    const { url, setCookie } = await deps.oidc.start(pathParam(ctx, 0), ctx.remoteIp);
    return { status: 302, headers: { location: url, 'set-cookie': setCookie }, body: { url } };
  }, deps);

  route(app, 'get', '/v1/auth/oidc/callback', 'oidc_callback', async (ctx) => {
    return { status: 200, body: await deps.oidc.callback(ctx.query, ctx.remoteIp, ctx.cookie) };
  }, deps);

  route(app, 'get', '/v1/auth/saml/:org/start', 'saml_start', async (ctx) => {
    const { url, setCookie } = await deps.saml.start(pathParam(ctx, 0), ctx.remoteIp);
    return { status: 302, headers: { location: url, 'set-cookie': setCookie }, body: { url } };
  }, deps);

  // The identity provider's HTTP-POST binding: an HTML form, not JSON.
  route(app, 'post', '/v1/auth/saml/acs', 'saml_acs', async (ctx) => {
    return { status: 200, body: await deps.saml.acs(((await ctx.body) ?? {}) as Record<string, string>, ctx.remoteIp, ctx.cookie) };
  }, deps, 'form');

  route(app, 'post', '/v1/auth/login/second-factor', 'login_second_factor', async (ctx) => {
    const body = objectBody(await ctx.body);
    const challenge = field(body, 'challenge', { max: 64 });
    const code = field(body, 'code', { max: 16, optional: true });
    const recoveryCode = field(body, 'recoveryCode', { max: 64, optional: true });
    if ((code === undefined) === (recoveryCode === undefined)) throw new GatewayError('E_BAD_REQUEST', 'send exactly one of "code" and "recoveryCode"');
    const result = await auth.completeSecondFactor(challenge, code !== undefined ? { code } : { recoveryCode: recoveryCode! }, ctx.remoteIp);
    return { status: 200, body: result };
  }, deps);

  route(app, 'post', '/v1/auth/login/enrol', 'login_enrol', async (ctx) => {
    const challenge = field(objectBody(await ctx.body), 'challenge', { max: 64 });
    return { status: 200, body: await auth.enrolDuringLogin(challenge) };
  }, deps);

  route(app, 'post', '/v1/auth/totp/enrol', 'totp_enrol', async (ctx) => {
    const who = await auth.authenticate(bearerToken(ctx.authorization), ctx.remoteIp);
    return { status: 200, body: await auth.startEnrolment(who) };
  }, deps);

  route(app, 'post', '/v1/auth/totp/confirm', 'totp_confirm', async (ctx) => {
    const who = await auth.authenticate(bearerToken(ctx.authorization), ctx.remoteIp);
    const code = field(objectBody(await ctx.body), 'code', { max: 16 });
    return { status: 200, body: { recoveryCodes: await auth.confirmEnrolment(who, code, ctx.remoteIp) } };
  }, deps);
}
