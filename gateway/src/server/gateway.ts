import { gatewayDecodersFromConfig } from '../screen/gateway-decoders.js';
import { createRequire } from 'node:module';
import uws from 'uWebSockets.js';
import { openAccounts, openOrgs } from './open-accounts.js';
import { GatewayLinks } from '../cluster/gateway-links.js';
import { ensureClusterTls } from '../cluster/cluster-tls.js';
import { Membership } from '../cluster/membership.js';
import { join } from 'node:path';
import { AdminService } from '../admin/admin-service.js';
import { AdminEvents, logAdminEvents } from '../auth/admin-events.js';
import { AuthService } from '../auth/auth-service.js';
import { LdapLogin, parseLdapSettings } from '../auth/ldap-login.js';
import { OrgLoginPolicy } from '../auth/login-policy.js';
import { OidcLogin, parseOidcSettings } from '../auth/oidc-login.js';
import { SamlLogin, parseSamlSettings } from '../auth/saml-login.js';
import type { PolicySource } from '../policy/org-policy.js';
import { OrgStorePolicySource } from '../policy/store-policy-source.js';
import { OrgStoreFormSource } from '../org/pre-session-form-source.js';
import { recordingsDirOf } from '../recording/recordings-dir.js';
import { systemClock, type Clock } from '../clock.js';
import type { GatewayConfig } from '../config/load-config.js';
import { createLogger, type Logger } from '../log/logger.js';
import { createGatewayMetrics, type GatewayMetrics } from '../metrics/gateway-metrics.js';
import { ensureGatewayTls, gatewayTlsCiphers } from '../pki/gateway-tls.js';
import { openRegistry } from '../registry/open-registry.js';
import type { Registry } from '../registry/registry.js';
import { SessionRelay } from '../relay/session-relay.js';
import { newParty, type Party } from '../relay/party.js';
import { PinGuard } from '../session/pin-guard.js';
import { LimitCrossings } from '../limits/limit-crossings.js';
import { SessionCaps } from '../limits/session-caps.js';
import { ConnectionCaps, connectionCapLimits, type Refusal } from '../limits/connection-caps.js';
import { GatewayError } from '../errors/gateway-error.js';
import { SessionLifecycle, type TransitionHook } from '../session/transition.js';
import { startAdminServer } from './admin-server.js';
import { registerAdminApi } from './admin-api.js';
import { registerHttpApi } from './http-api.js';
import { registerLoginApi } from './login-api.js';
import { remoteAddress, writeReply } from './http-io.js';
import { listen } from './listen.js';
import { loadConsoleBundle, registerConsole } from './console-assets.js';
import { QueueFeeds } from '../queue/queue-feeds.js';
import { QUEUE_MAX_ENTRIES } from '../../../protocol/queue-messages.js';
import { QueueSockets, type QueueSocketData } from '../queue/queue-socket.js';
import { startGatewayStun } from '../paths/gateway-stun.js';
import { PathSignalFilter, countSessionsByPath } from '../paths/path-signal-filter.js';
import { metricChild } from '../metrics/metric-child.js';
import { effectiveMaxConnections, openFileLimit } from './open-file-limit.js';
import { relaySocketOptions } from './relay-socket-options.js';

const version: string = createRequire(import.meta.url)('../../../package.json').version;

/** Control traffic and API bodies are small; this bounds what one HTTP request may make us buffer. */
const MAX_HTTP_BODY_BYTES = 64 * 1024;
const HELLO_TIMEOUT_MS = 10_000;
/** With Redis, how often each organisation's live queue is re-read, to show other gateways' changes. */
const QUEUE_POLL_MS = 1000;
/** A queue subscriber's token is checked again this often (logout or a disabled account ends it). */
const QUEUE_TOKEN_RECHECK_MS = 30_000;

export interface RunningGateway {
  readonly config: GatewayConfig;
  readonly port: number;
  readonly adminPort: number;
  /** The gateway-link port (0 when there is no link: a lone gateway on the memory registry). */
  readonly linkPort: number;
  /** UDP port of the STUN endpoint (0 when stun is off). */
  readonly stunPort: number;
  /** SHA-256 fingerprint of the CA that issued the gateway certificate (what clients pin). */
  readonly caFingerprint: string;
  readonly caPem: string | undefined;
  readonly registry: Registry;
  readonly metrics: GatewayMetrics;
  /** Session policy per organisation and team, for the session core (policy/org-policy.ts). */
  readonly policies: PolicySource;
  /** Every administrative change (admin API, CLI in this process, TOTP enrolment); the audit log subscribes. */
  readonly adminEvents: AdminEvents;
  /** Drain: stop accepting, ask parties to reconnect, wait up to `graceMs`, close the rest. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

export interface GatewayDeps {
  log?: Logger;
  now?: Clock;
}

/** Starts one gateway: registry, accounts, TLS, the HTTPS/WSS listener and the admin listener. */
export async function startGateway(config: GatewayConfig, deps: GatewayDeps = {}): Promise<RunningGateway> {
  const log = (deps.log ?? createLogger({ level: config.logLevel })).child({ gateway: config.gatewayId });
  const now = deps.now ?? systemClock;
  const metrics = createGatewayMetrics(config.gatewayId);

  const registry = await openRegistry(config, log, now);
  const cleanups: (() => Promise<void> | void)[] = [() => registry.close()];
  try {
    metrics.registryUp.set(registry.isReady() ? 1 : 0);
    const stopWatchingRegistry = registry.onReadyChange?.((ready) => {
      metrics.registryUp.set(ready ? 1 : 0);
      (ready ? log.info : log.error)(ready ? 'registry.up' : 'registry.down', { kind: registry.kind });
    });
    // Runs before registry.close() (cleanups run in reverse), so our own shutdown is not logged as an outage.
    if (stopWatchingRegistry) cleanups.push(stopWatchingRegistry);

    const crossings = new LimitCrossings({ registry, log, now, count: (limit, scope) => metrics.limitCrossings.inc({ limit, scope }) });
    const accounts = await openAccounts(config);
    cleanups.push(() => accounts.close());
    const orgs = await openOrgs(config);
    cleanups.push(() => orgs.close());
    const adminEvents = new AdminEvents(log);
    logAdminEvents(adminEvents, log);
    const policies = new OrgStorePolicySource(orgs);
    const auth = new AuthService(
      { accounts, registry, clock: now, log, crossings, policy: new OrgLoginPolicy(orgs, { cacheMs: 1000, events: adminEvents, clock: now }), events: adminEvents },
      {
        tokenTtlMs: config.tokenTtlSeconds * 1000,
        tokenIdleMs: config.tokenIdleMinutes * 60_000,
        maxFailedLogins: config.maxFailedLogins,
        maxFailedLoginsPerAccount: config.maxFailedLoginsPerAccount,
        lockoutMs: config.lockoutSeconds * 1000,
        loginsPerSecond: config.loginsPerSecond,
        loginPerSource: { limit: config.loginAttemptsPerAddress, windowMs: 60_000 },
      },
    );

    const tls = await ensureGatewayTls({
      dataDir: config.dataDir,
      hostnames: config.publicNames,
      certFile: config.tlsCert,
      keyFile: config.tlsKey,
      caFile: config.tlsCa,
      keyType: config.tlsKeyType,
      log,
    });

    const sessionCaps = new SessionCaps(registry, { perTechnician: config.maxSessionsPerTechnician, perOrg: config.maxSessionsPerOrg }, crossings);
    const hooks: TransitionHook[] = [
      (e) => {
        if (e.to !== 'closed' && e.to !== 'expired') return;
        sessionCaps.release(e.session).catch((err: unknown) => log.debug('session_caps.release_failed', { guid: e.guid, err }));
      },
      (e) => metricChild(metrics.transitions, e.to, e.reason).inc(),
      (e) =>
        log.enabled('info') &&
        log.info('session.transition', {
          guid: e.guid,
          to: e.to,
          reason: e.reason,
          orgId: e.session.orgId,
          technicianId: e.session.technicianId ?? e.session.createdBy,
        }),
    ];
    // One live-queue feed per organisation; with Redis it also polls, to see other gateways' transitions.
    const queueFeeds = new QueueFeeds({ registry, log, now }, { pollMs: registry.kind === 'redis' ? QUEUE_POLL_MS : 0, maxEntries: QUEUE_MAX_ENTRIES });
    cleanups.push(() => queueFeeds.close());
    hooks.push(queueFeeds.onTransition);
    const lifecycle = new SessionLifecycle(registry, hooks, now);

    // Gateways that share a registry reach each other's customers over the gateway link (mutual TLS).
    let links: GatewayLinks | undefined;
    let linkPort = 0;
    if (registry.kind === 'redis') {
      links = new GatewayLinks({
        selfId: config.gatewayId,
        tls: await ensureClusterTls({ clusterDir: config.clusterDir ?? join(config.dataDir, 'cluster-ca'), dataDir: config.dataDir, gatewayId: config.gatewayId, log }),
        // A relayed message may be up to twice maxMessageBytes (maxPayloadLength, server/relay-socket-options.ts) plus framing.
        maxFrameBytes: config.maxMessageBytes * 2 + 64 * 1024,
        log,
        onOpen: (stream, request) => relay.attachRemote(stream, request),
        onBackpressure: (peer) => metrics.linkBackpressure.inc({ peer: peer ?? 'unknown' }),
      });
      cleanups.push(() => links!.close());
      linkPort = await links.listen(config.linkHost, config.linkPort);
    }

    // Path signals: bad ones dropped, announcements become participants' paths and metrics.
    const pathSignals = new PathSignalFilter(metrics);
    // Pre-session forms: a change through this gateway's admin API applies to its next join at once.
    const forms = new OrgStoreFormSource(orgs, now);
    adminEvents.on((e) => {
      if (e.type === 'org.updated' && e.fields.includes('preSessionForm')) forms.invalidate();
    });
    const relay: SessionRelay = new SessionRelay(
      {
        registry,
        links,
        lifecycle,
        // With the party's address as second argument, the organisation's allow-list applies too.
        authenticate: (token: string, sourceIp?: string) => auth.authenticate(token, sourceIp),
        authenticateTokenId: (tokenId: string, sourceIp?: string) => auth.authenticateTokenId(tokenId, sourceIp),
        policies,
        forms,
        pinGuard: new PinGuard({ registry, crossings, log }, {
          windowMs: config.pinGuessWindowSeconds * 1000,
          perAddress: config.pinGuessesPerAddress,
          perPrefix: config.pinGuessesPerPrefix,
          global: config.pinGuessesGlobal,
          underAttack: config.pinGuessesUnderAttack,
        }),
        metrics,
        pathSignals,
        log,
        now,
      },
      {
        gatewayId: config.gatewayId,
        screenDecoders: gatewayDecodersFromConfig(config, metrics.screenDecoderBytes),
        maxMessageBytes: config.maxMessageBytes,
        idleTimeoutMs: config.idleTimeoutSeconds * 1000,
        helloTimeoutMs: HELLO_TIMEOUT_MS,
        activeTtlMs: Math.max(120_000, config.idleTimeoutSeconds * 2000),
        resumeGraceMs: config.resumeGraceSeconds * 1000,
        clusterMode: config.clusterMode,
        reliableQueueBytes: config.reliableQueueBytes,
        droppableQueueBytes: config.droppableQueueBytes,
        bulkWindowBytes: config.bulkWindowBytes,
        recordingsDir: recordingsDirOf(config),
      },
    );
    // Runs after relay.closeAll() (cleanups run in reverse, after it): every recording file flushed and closed.
    cleanups.push(() => relay.recordings.settled());

    const fdLimit = openFileLimit();
    const connections = effectiveMaxConnections(config.maxConnections, fdLimit);
    if (connections.capped) {
      log.warn('gateway.max_connections_capped', { configured: config.maxConnections, openFileLimit: fdLimit, effective: connections.max, fix: 'raise the open-file limit (ulimit -n, LimitNOFILE=)' });
    }

    const connectionCaps = new ConnectionCaps(connectionCapLimits(config, connections.max));
    const refuseCapped = (res: uws.HttpResponse, refusal: Refusal, address: string) => {
      const e = new GatewayError('E_TOO_MANY_CONNECTIONS');
      metrics.rejected.inc({ code: e.code });
      crossings.report(refusal.limit, refusal.scope, refusal.source, 60_000, { address });
      writeReply(res, { status: e.httpStatus, body: { error: { code: e.code, message: e.message } } });
    };
    const queueSockets = new QueueSockets(
      { feeds: queueFeeds, authenticate: (token, o) => auth.authenticate(token, undefined, o), caps: connectionCaps, metrics, log, now },
      { helloTimeoutMs: HELLO_TIMEOUT_MS, recheckMs: QUEUE_TOKEN_RECHECK_MS, maxBufferedBytes: 4 << 20 },
    );
    let draining = false;
    /** Admits a WebSocket upgrade (drain, capacity, per-address caps): its address, or null once refused. */
    const admitUpgrade = (res: uws.HttpResponse): string | null => {
      const refusal = draining ? 'E_SHUTTING_DOWN' : relay.connectionCount + queueSockets.connectionCount >= connections.max ? 'E_CAPACITY' : null;
      if (refusal) {
        metrics.rejected.inc({ code: refusal });
        // A full gateway is a limit crossing too (logged once a minute, not per refused connection).
        if (refusal === 'E_CAPACITY') crossings.report('connections', 'global', 'all', 60_000, { maxConnections: connections.max });
        writeReply(res, { status: 503, body: { error: { code: refusal, message: 'reconnect later or elsewhere' } } });
        return null;
      }
      const ip = remoteAddress(res);
      const capped = connectionCaps.admit(ip);
      if (capped) {
        refuseCapped(res, capped, ip);
        return null;
      }
      return ip;
    };
    const app = uws.SSLApp({ cert_file_name: tls.certFile, key_file_name: tls.keyFile, ssl_ciphers: gatewayTlsCiphers });
    const wsBehavior = (role: Party['role']): uws.WebSocketBehavior<Party> => ({
      ...relaySocketOptions(config),
      upgrade: (res, req, context) => {
        const ip = admitUpgrade(res);
        if (ip === null) return;
        res.upgrade(
          newParty(role, ip, now()),
          req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      },
      open: (ws) => {
        connectionCaps.opened(ws);
        relay.onOpen(ws);
      },
      message: (ws, data, isBinary) => {
        // getUserData() is a call into uWS: once per message. Only a first message can end the unauthenticated
        // phase, and a socket leaves 'hello' only after one (or closing): no Map lookup per relayed message.
        const party = ws.getUserData();
        if (party.phase === 'hello' || party.phase === 'closing') connectionCaps.greeted(ws);
        relay.onMessage(ws, data, isBinary, party);
      },
      close: (ws) => {
        connectionCaps.closed(ws);
        relay.onClose(ws);
      },
      pong: (ws) => relay.onPong(ws),
    });
    app.ws('/v1/customer', wsBehavior('customer'));
    app.ws('/v1/technician', wsBehavior('technician'));
    app.ws<QueueSocketData>('/v1/queue', queueSockets.behavior((res, req, context) => {
      if (admitUpgrade(res) === null) return;
      const data: QueueSocketData = { watcher: { connectedAt: now(), phase: 'hello', recheckAt: 0 } };
      res.upgrade(data, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    }));
    const consoleBundle = await loadConsoleBundle(config.consoleDir, log);
    if (consoleBundle) registerConsole(app, consoleBundle, (route, status) => metrics.httpRequests.inc({ route, status: String(status) }));
    registerHttpApi(app, {
      metrics,
      log,
      maxBodyBytes: MAX_HTTP_BODY_BYTES,
      auth: {
        loginWithPassword: (u, p, ip) => auth.loginWithPassword(u, p, ip),
        authenticate: (token, ip) => auth.authenticate(token, ip),
        logout: (token) => auth.logout(token),
      },
      registry,
      lifecycle,
      sessionCaps,
      relay,
      gatewayId: config.gatewayId,
      version,
      sessionTtlMs: config.sessionTtlSeconds * 1000,
      pinDigits: config.pinLength,
      now,
    });

    relay.bus.on((e) => e.type === 'ended' && pathSignals.ended(e.guid));
    const httpDeps = { metrics, log, maxBodyBytes: MAX_HTTP_BODY_BYTES };
    const directoryDeps = { auth, accounts, orgs, clock: now, log, events: adminEvents };
    registerLoginApi(app, {
      ...httpDeps,
      auth,
      ldap: new LdapLogin(directoryDeps),
      oidc: new OidcLogin({ ...directoryDeps, registry }),
      saml: new SamlLogin({ ...directoryDeps, registry }),
    });
    registerAdminApi(app, {
      ...httpDeps,
      authenticate: (token, ip) => auth.authenticate(token, ip),
      admin: new AdminService({ accounts, orgs, events: adminEvents, clock: now, identityProviders: { ldap: parseLdapSettings, oidc: parseOidcSettings, saml: parseSamlSettings } }),
    });

    const ticker = setInterval(() => {
      relay.tick();
      queueFeeds.tick();
      queueSockets.tick();
      countSessionsByPath(relay.sessions.values(), metrics.pathSessions);
      if (links) metrics.linkQueuedBytes.set(links.queuedBytes);
    }, 1000);
    cleanups.push(() => clearInterval(ticker));

    const main = await listen(app, config.host, config.port, 'gateway listener');
    let accepting = true;
    const stopAccepting = () => {
      if (accepting) uws.us_listen_socket_close(main.socket);
      accepting = false;
    };
    cleanups.push(stopAccepting);
    const stun = config.stun ? await startGatewayStun(config, main.port, metrics, log) : undefined;
    if (stun) cleanups.push(() => stun.close());
    const admin = await startAdminServer(
      metrics,
      {
        ready: () => {
          const checks = { registry: registry.isReady(), accepting: !draining };
          return { ready: checks.registry && checks.accepting, checks };
        },
      },
      config.adminHost,
      config.adminPort,
    );
    cleanups.push(() => admin.close());

    const startedAt = now();
    const membership = new Membership(
      registry,
      () => ({
        id: config.gatewayId,
        publicUrl: config.publicUrl ?? `https://${hostForUrl(config.publicNames[0] ?? 'localhost')}:${main.port}`,
        linkAddress: `${config.linkAdvertise ?? config.publicNames[0] ?? '127.0.0.1'}:${linkPort}`,
        connections: relay.connectionCount,
        capacity: connections.max,
        draining,
        startedAt,
        updatedAt: now(),
      }),
      log,
    );
    await membership.start();
    cleanups.push(() => membership.stop());

    log.info('gateway.started', {
      version,
      port: main.port,
      adminPort: admin.port,
      registry: registry.kind,
      caFingerprint: tls.caFingerprint,
      stunPort: stun?.port ?? 0,
    });

    let stopping: Promise<void> | undefined;
    const stop = (graceMs = config.shutdownGraceSeconds * 1000): Promise<void> =>
      (stopping ??= (async () => {
        draining = true;
        await membership.refresh(); // tell clients choosing a gateway at once, not at the next heartbeat
        log.info('gateway.draining', { connections: relay.connectionCount, graceMs });
        stopAccepting();
        relay.announceShutdown();
        queueSockets.closeAll();
        const deadline = Date.now() + graceMs;
        while (relay.connectionCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        relay.closeAll();
        for (const cleanup of cleanups.reverse()) await cleanup();
        log.info('gateway.stopped', {});
      })());

    return { config, port: main.port, adminPort: admin.port, linkPort, stunPort: stun?.port ?? 0, caFingerprint: tls.caFingerprint, caPem: tls.caPem, registry, metrics, policies, adminEvents, stop };
  } catch (err) {
    for (const cleanup of cleanups.reverse()) await cleanup();
    throw err;
  }
}

/** IPv6 literals need brackets in a URL. */
function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
