import type { TemplatedApp } from 'uWebSockets.js';
import type { AuthService } from '../auth/auth-service.js';
import { GatewayError } from '../errors/gateway-error.js';
import { byLoad } from '../cluster/membership.js';
import { PROTOCOL_VERSION } from '../../../protocol/messages.js';
import type { Registry } from '../registry/registry.js';
import type { SessionRelay, TechnicianIdentity } from '../relay/session-relay.js';
import { tokenIdOf } from '../auth/bearer-token.js';
import type { SessionRecord } from '../session/session-record.js';
import type { SessionLifecycle } from '../session/transition.js';
import { newSessionGuid } from '../session/identifiers.js';
import type { SessionCaps } from '../limits/session-caps.js';
import { bearerToken, field, route, writeReply, type HttpDeps, type RequestContext } from './http-io.js';
import { queueEntry } from '../queue/queue-entry.js';

/** The part of the auth service the API needs. */
export type ApiAuth = Pick<AuthService, 'loginWithPassword' | 'authenticate' | 'logout'>;

export interface ApiDeps extends HttpDeps {
  auth: ApiAuth;
  registry: Registry;
  lifecycle: SessionLifecycle;
  /** Reserved before a session is created (reserve, then create). */
  sessionCaps: Pick<SessionCaps, 'reserve' | 'release'>;
  relay: SessionRelay;
  gatewayId: string;
  version: string;
  sessionTtlMs: number;
  pinDigits: number;
  now: () => number;
}

const GUID = /^[0-9a-f]{32}$/;

/** The HTTP API (docs/protocol.md). Technicians authenticate with `Authorization: Bearer <token>`. */
export function registerHttpApi(app: TemplatedApp, deps: ApiDeps): void {
  // Every technician request meets its organisation's allow-list (auth/login-policy.ts), not only the login.
  const technician = (ctx: RequestContext) => deps.auth.authenticate(bearerToken(ctx.authorization), ctx.remoteIp);

  /** A session of the caller's organisation; another organisation's is "not found", never "forbidden". */
  const ownSession = async (ctx: RequestContext): Promise<{ who: TechnicianIdentity; session: SessionRecord }> => {
    const who = await technician(ctx);
    const guid = ctx.params[0]!;
    const session = GUID.test(guid) ? await deps.registry.getSession(guid) : null;
    if (!session || session.orgId !== who.orgId) throw new GatewayError('E_SESSION_NOT_FOUND');
    return { who, session };
  };

  route(app, 'post', '/v1/auth/login', 'login', async (ctx) => {
    const body = await ctx.body;
    // A token, or { secondFactor, challenge, expiresAt } when a second step is due (docs/protocol.md).
    const result = await deps.auth.loginWithPassword(field(body, 'username', { max: 64 }), field(body, 'password', { max: 1024 }), ctx.remoteIp);
    return { status: 200, body: result };
  }, deps);

  route(app, 'post', '/v1/auth/logout', 'logout', async (ctx) => {
    const token = bearerToken(ctx.authorization);
    await deps.auth.logout(token);
    // Logging out ends what the token was used for: the technician leaves those sessions, on every gateway.
    await deps.relay.endToken(tokenIdOf(token));
    return { status: 204 };
  }, deps);

  route(app, 'post', '/v1/sessions', 'create_session', async (ctx) => {
    const who = await technician(ctx);
    const body = await ctx.body;
    const ttlSeconds = (body as { ttlSeconds?: unknown } | undefined)?.ttlSeconds;
    const maxSeconds = deps.sessionTtlMs / 1000;
    if (ttlSeconds !== undefined && (!Number.isInteger(ttlSeconds) || (ttlSeconds as number) < 60 || (ttlSeconds as number) > maxSeconds)) {
      throw new GatewayError('E_BAD_REQUEST', `"ttlSeconds" must be a whole number from 60 to ${maxSeconds}`);
    }
    const ttlMs = ttlSeconds === undefined ? deps.sessionTtlMs : (ttlSeconds as number) * 1000;
    const capped = { guid: newSessionGuid(), orgId: who.orgId, createdBy: who.technicianId, expiresAt: deps.now() + ttlMs };
    await deps.sessionCaps.reserve(capped);
    const session = await deps.lifecycle.create({ orgId: who.orgId, technicianId: who.technicianId, ttlMs, pinDigits: deps.pinDigits, guid: capped.guid }).catch(async (err: unknown) => {
      await deps.sessionCaps.release(capped).catch(() => {});
      throw err;
    });
    return { status: 201, body: { guid: session.guid, pin: session.pin, state: session.state, expiresAt: session.expiresAt } };
  }, deps);

  route(app, 'get', '/v1/sessions/waiting', 'list_waiting', async (ctx) => {
    const who = await technician(ctx);
    const now = deps.now();
    // Records outlive expiresAt briefly (relay/session-relay.ts), so the list filters on it.
    const waiting = (await deps.registry.listWaiting(who.orgId)).filter((s) => s.expiresAt > now);
    return {
      status: 200,
      body: { sessions: waiting.map(queueEntry) },
    };
  }, deps);

  route(app, 'get', '/v1/sessions/:guid', 'get_session', async (ctx) => {
    const { session } = await ownSession(ctx);
    return { status: 200, body: publicView(session) };
  }, deps);

  route(app, 'del', '/v1/sessions/:guid', 'revoke_session', async (ctx) => {
    const { session } = await ownSession(ctx);
    // The anchor (here, or reached over the link) tells its participants and disconnects them; with no live
    // anchor the registry change alone ends it.
    if (!(await deps.relay.revoke(session))) {
      const result = await deps.lifecycle.transition(session.guid, 'closed', { reason: 'revoked', from: ['created', 'waiting', 'active'] });
      if (!result.ok && result.reason !== 'not_found' && result.session.state !== 'closed' && result.session.state !== 'expired') {
        throw new GatewayError('E_SESSION_CLOSED');
      }
    }
    return { status: 200, body: { guid: session.guid, state: 'closed' } };
  }, deps);

  route(app, 'get', '/v1/gateways', 'list_gateways', async () => {
    const gateways = (await deps.registry.listGateways()).sort(byLoad);
    return {
      status: 200,
      body: {
        gateways: gateways.map((g) => ({
          id: g.id,
          url: g.publicUrl,
          connections: g.connections,
          capacity: g.capacity,
          load: Math.round((g.connections / Math.max(1, g.capacity)) * 1e4) / 1e4,
          draining: g.draining,
        })),
      },
    };
  }, deps);

  // The caller's address as this gateway sees it: a party behind NAT learns its public IPv4 address for a TCP
  // simultaneous open even where UDP (and so STUN) is blocked. Behind a load balancer it is the balancer's.
  route(app, 'get', '/v1/address', 'address', async (ctx) => ({
    status: 200,
    body: { address: ctx.remoteIp.startsWith('::ffff:') ? ctx.remoteIp.slice(7) : ctx.remoteIp },
  }), deps);

  route(app, 'get', '/v1/info', 'info', async () => ({
    status: 200,
    body: { name: 'relaydesk', version: deps.version, protocol: PROTOCOL_VERSION, gatewayId: deps.gatewayId },
  }), deps);

  app.any('/*', (res) => {
    const e = new GatewayError('E_NOT_FOUND');
    deps.metrics.httpRequests.inc({ route: 'unknown', status: '404' });
    writeReply(res, { status: e.httpStatus, body: { error: { code: e.code, message: e.message } } });
  });
}

/** What a technician may see of a session. The PIN only while it is still the way in. */
function publicView(s: SessionRecord) {
  return {
    guid: s.guid,
    state: s.state,
    pin: s.state === 'created' || s.state === 'waiting' ? s.pin : undefined,
    customerName: s.customerName,
    technicianId: s.technicianId,
    createdBy: s.createdBy,
    createdAt: s.createdAt,
    expiresAt: s.expiresAt,
    closeReason: s.closeReason,
  };
}
