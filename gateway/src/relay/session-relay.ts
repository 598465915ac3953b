import { performance } from 'node:perf_hooks';
import { GatewayError, asGatewayError, errorCodes, type ErrorCode } from '../errors/gateway-error.js';
import type { Logger } from '../log/logger.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { channelById } from '../protocol/channels.js';
import { encodeServerMessage, parseClientMessage, type ClientMessage, type ServerMessage } from '../protocol/envelope.js';
import type { Registry } from '../registry/registry.js';
import type { PinGuard } from '../session/pin-guard.js';
import type { CloseReason } from '../session/session-record.js';
import type { SessionLifecycle } from '../session/transition.js';
import { deliver, type DropReason, type QueueLimits } from './deliver.js';
import { LocalSession } from './local-session.js';
import type { Party, PartySocket } from './party.js';

/** What a technician's bearer token resolves to. */
export interface TechnicianIdentity {
  technicianId: string;
  orgId: string;
  username: string;
  displayName?: string;
}

export interface RelayOptions extends QueueLimits {
  gatewayId: string;
  idleTimeoutMs: number;
  /** A connection that has not sent its join/pickup within this time is closed. */
  helloTimeoutMs: number;
  /** Active sessions' registry records are kept alive for this long past the last refresh. */
  activeTtlMs: number;
}

export interface RelayDeps {
  registry: Registry;
  lifecycle: SessionLifecycle;
  authenticate: (bearerToken: string) => Promise<TechnicianIdentity>;
  pinGuard: PinGuard;
  metrics: GatewayMetrics;
  log: Logger;
  now: () => number;
}

/** Normal closure, RFC 6455 §7.4.1. */
const CLOSE_NORMAL = 1000;
const TOUCH_EVERY_MS = 30_000;

/**
 * Pairs customers and technicians connected to this gateway and relays between them.
 * Handlers run on the one event loop; after every await they re-check `party.phase`, because the socket
 * may have closed meanwhile (uWS sockets must not be used after their close event).
 */
export class SessionRelay {
  /** Sessions with a party on this gateway, by GUID. */
  private readonly sessions = new Map<string, LocalSession>();
  /** Connections that have not yet sent join/pickup (for the hello timeout). */
  private readonly greeting = new Set<PartySocket>();
  private readonly sockets = new Set<PartySocket>();
  private lastTouch = 0;
  // Pre-bound metric children: prom-client label lookups are too slow for every relayed message.
  private readonly relayedMessages;
  private readonly relayedBytes;
  private readonly droppedBy: Record<DropReason, { inc(n?: number): void }>;

  constructor(
    private readonly deps: RelayDeps,
    private readonly options: RelayOptions,
  ) {
    const m = deps.metrics;
    this.relayedMessages = channelById.map((c) => (c ? m.relayedMessages.labels(c.name) : undefined));
    this.relayedBytes = channelById.map((c) => (c ? m.relayedBytes.labels(c.name) : undefined));
    const reasons: DropReason[] = ['backpressure', 'not_granted', 'wrong_direction', 'no_peer', 'unknown_channel', 'slow_consumer'];
    this.droppedBy = Object.fromEntries(reasons.map((r) => [r, m.dropped.labels(r)])) as Record<DropReason, { inc(n?: number): void }>;
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  onOpen(ws: PartySocket): void {
    this.sockets.add(ws);
    this.greeting.add(ws);
    this.deps.metrics.connections.inc({ role: ws.getUserData().role });
  }

  onMessage(ws: PartySocket, data: ArrayBuffer, isBinary: boolean): void {
    const party = ws.getUserData();
    if (party.phase === 'paired' && isBinary) {
      this.relayBinary(ws, party, data);
      return;
    }
    if (isBinary) {
      this.reject(ws, new GatewayError('E_BAD_MESSAGE', 'binary messages are accepted only once the session is paired'), false);
      return;
    }
    let msg: ClientMessage;
    try {
      msg = parseClientMessage(data);
    } catch (err) {
      // Before the handshake a bad first message ends the connection; afterwards it costs only an error frame.
      this.reject(ws, asGatewayError(err), party.phase === 'hello');
      return;
    }
    switch (party.phase) {
      case 'hello':
        this.greeting.delete(ws);
        if (party.role === 'customer' && msg.type === 'join') void this.join(ws, party, msg);
        else if (party.role === 'technician' && msg.type === 'pickup') void this.pickup(ws, party, msg);
        else this.reject(ws, new GatewayError('E_BAD_MESSAGE', `the first message of a ${party.role} must be "${party.role === 'customer' ? 'join' : 'pickup'}"`), true);
        return;
      case 'pending':
        this.reject(ws, new GatewayError('E_BAD_MESSAGE', 'wait for the "state" message before sending more'), false);
        return;
      case 'waiting':
      case 'paired':
        this.control(ws, party, msg);
        return;
      case 'closed':
        return;
    }
  }

  onClose(ws: PartySocket): void {
    const party = ws.getUserData();
    this.sockets.delete(ws);
    this.greeting.delete(ws);
    this.deps.metrics.connections.dec({ role: party.role });
    const session = party.session;
    const wasPhase = party.phase;
    party.phase = 'closed';
    party.session = null;
    if (!session || this.sessions.get(session.guid) !== session) return;
    if (wasPhase === 'waiting') {
      // The customer left before pickup: the PIN stays valid so it can connect again.
      this.sessions.delete(session.guid);
      this.updateGauges();
      this.background(this.deps.lifecycle.transition(session.guid, 'created', { reason: 'customer_disconnected', from: ['waiting'] }));
      return;
    }
    this.endSession(session, party.role === 'customer' ? 'customer_left' : 'technician_left');
  }

  /** Called once a second: expiry of waiting sessions, idle timeout, hello timeout, registry refresh. */
  tick(): void {
    const now = this.deps.now();
    for (const ws of this.greeting) {
      if (now - ws.getUserData().connectedAt > this.options.helloTimeoutMs) {
        this.greeting.delete(ws);
        this.reject(ws, new GatewayError('E_BAD_REQUEST', `no join/pickup message within ${this.options.helloTimeoutMs} ms`), true);
      }
    }
    const active: string[] = [];
    for (const session of this.sessions.values()) {
      if (!session.paired) {
        if (session.expiresAt <= now) this.expire(session);
      } else if (now - session.lastActivity > this.options.idleTimeoutMs) {
        this.endSession(session, 'idle_timeout');
      } else {
        active.push(session.guid);
      }
    }
    if (now - this.lastTouch >= TOUCH_EVERY_MS && active.length > 0) {
      this.lastTouch = now;
      this.background(this.deps.registry.touchSessions(active, this.options.activeTtlMs));
    }
  }

  /** Ends a session at an operator's or technician's request (HTTP DELETE). False if no party is here. */
  revoke(guid: string): boolean {
    const session = this.sessions.get(guid);
    if (!session) return false;
    this.endSession(session, 'revoked');
    return true;
  }

  /** SIGTERM, first step: ask every party to reconnect (to another gateway, or to this one when it is back). */
  announceShutdown(): void {
    const notice = encodeServerMessage({ v: 1, type: 'reconnect', reason: 'gateway_shutdown' });
    for (const ws of this.sockets) ws.send(notice, false);
  }

  /** SIGTERM, last step: close what is still connected. */
  closeAll(): void {
    for (const session of [...this.sessions.values()]) this.endSession(session, 'gateway_shutdown');
    for (const ws of [...this.sockets]) this.closeParty(ws, errorCodes.E_SHUTTING_DOWN.close, 'E_SHUTTING_DOWN');
  }

  // ---- handshake -------------------------------------------------------------------------------------

  private async join(ws: PartySocket, party: Party, msg: Extract<ClientMessage, { type: 'join' }>): Promise<void> {
    party.phase = 'pending';
    const { lifecycle, registry, pinGuard, now } = this.deps;
    try {
      await pinGuard.assertAllowed(party.remoteIp);
      const guid = msg.pin !== undefined ? await registry.findGuidByPin(msg.pin) : msg.guid!;
      const record = guid ? await registry.getSession(guid) : null;
      // Wrong, expired and used PINs get the same answer, so a guesser learns nothing about other sessions.
      if (!guid || !record || record.state !== 'created' || record.expiresAt <= now()) {
        await pinGuard.recordFailure(party.remoteIp);
        throw new GatewayError('E_PIN_INVALID');
      }
      const result = await lifecycle.transition(guid, 'waiting', {
        reason: 'customer_joined',
        from: ['created'],
        set: { customerName: msg.name, customerGateway: this.options.gatewayId },
      });
      if (!result.ok) throw new GatewayError('E_PIN_INVALID'); // another customer won the race for this PIN
      if (hasClosed(party)) {
        this.background(lifecycle.transition(guid, 'created', { reason: 'customer_disconnected', from: ['waiting'] }));
        return;
      }
      const session = new LocalSession(guid, record.orgId, msg.name, record.expiresAt, now());
      session.customer = ws;
      this.sessions.set(guid, session);
      party.session = session;
      party.phase = 'waiting';
      this.updateGauges();
      this.send(ws, { v: 1, type: 'state', state: 'waiting', guid, expiresAt: record.expiresAt });
    } catch (err) {
      this.reject(ws, asGatewayError(err), true);
    }
  }

  private async pickup(ws: PartySocket, party: Party, msg: Extract<ClientMessage, { type: 'pickup' }>): Promise<void> {
    party.phase = 'pending';
    const started = performance.now();
    const { lifecycle, metrics, now } = this.deps;
    try {
      const who = await this.deps.authenticate(msg.token);
      party.technicianId = who.technicianId;
      party.technicianName = who.displayName || who.username;
      const result = await lifecycle.transition(msg.guid, 'active', {
        reason: 'picked_up',
        from: ['waiting'],
        orgId: who.orgId,
        set: { technicianId: who.technicianId },
      });
      if (!result.ok) {
        // Another organisation's session is "not found": its existence is not ours to reveal.
        if (result.reason !== 'wrong_state') throw new GatewayError('E_SESSION_NOT_FOUND');
        const state = result.session.state;
        throw new GatewayError(state === 'active' ? 'E_SESSION_TAKEN' : state === 'created' ? 'E_SESSION_NOT_WAITING' : 'E_SESSION_CLOSED');
      }
      const session = this.sessions.get(msg.guid);
      if (!session?.customer) {
        // The customer left between listing and pickup (or waits on another gateway: the cluster issue).
        this.background(lifecycle.transition(msg.guid, 'closed', { reason: 'customer_left', from: ['active'] }));
        throw new GatewayError('E_PEER_GONE');
      }
      if (hasClosed(party)) {
        this.endSession(session, 'technician_left');
        return;
      }
      session.technician = ws;
      session.lastActivity = now();
      party.session = session;
      party.phase = 'paired';
      session.customer.getUserData().phase = 'paired';
      this.updateGauges();
      const active: ServerMessage = { v: 1, type: 'state', state: 'active', guid: session.guid, customerName: session.customerName, technician: party.technicianName };
      this.send(session.customer, active);
      this.send(ws, active);
      metrics.pairingSeconds.observe((now() - session.joinedAt) / 1000);
      metrics.pickupSeconds.observe((performance.now() - started) / 1000);
    } catch (err) {
      this.reject(ws, asGatewayError(err), true);
    }
  }

  // ---- paired traffic ----------------------------------------------------------------------------------

  /** Hot path: one lookup for the channel, checks, one send. The bytes are relayed untouched. */
  private relayBinary(ws: PartySocket, party: Party, data: ArrayBuffer): void {
    const session = party.session!;
    const channelId = data.byteLength > 0 ? new Uint8Array(data, 0, 1)[0]! : -1;
    const channel = channelById[channelId];
    if (!channel) {
      this.droppedBy.unknown_channel.inc();
      this.reject(ws, new GatewayError('E_BAD_MESSAGE', `unknown channel ${channelId} (first byte of a binary message)`), false);
      return;
    }
    if (channel.from !== 'both' && channel.from !== party.role) {
      this.droppedBy.wrong_direction.inc();
      this.reject(ws, new GatewayError('E_FORBIDDEN', `a ${party.role} may not send on the ${channel.name} channel`), false);
      return;
    }
    if (channel.needs && !session.grants.has(channel.needs)) {
      this.droppedBy.not_granted.inc();
      // Screen packets sent before a grant are dropped quietly (an agent may start early); anything else is told.
      if (channel.class === 'reliable') this.reject(ws, new GatewayError('E_NOT_GRANTED', `the customer has not granted "${channel.needs}"`), false);
      return;
    }
    const peer = session.peerOf(ws);
    if (!peer) {
      this.droppedBy.no_peer.inc();
      return;
    }
    session.lastActivity = this.deps.now();
    const outcome = deliver(peer, data, true, channel.class, this.options);
    if (outcome === 'sent') {
      this.relayedMessages[channelId]!.inc();
      this.relayedBytes[channelId]!.inc(data.byteLength);
    } else if (outcome === 'dropped') {
      this.droppedBy.backpressure.inc();
    } else {
      this.slowConsumer(session, peer);
    }
  }

  private control(ws: PartySocket, party: Party, msg: ClientMessage): void {
    const session = party.session!;
    const peer = session.peerOf(ws);
    switch (msg.type) {
      case 'end':
        this.endSession(session, party.role === 'customer' ? 'customer_ended' : 'technician_ended');
        return;
      case 'chat':
        if (!peer) return this.reject(ws, new GatewayError('E_BAD_MESSAGE', 'no technician has joined yet'), false);
        session.lastActivity = this.deps.now();
        this.sendReliable(session, peer, { v: 1, type: 'chat', from: party.role, text: msg.text, at: this.deps.now() });
        return;
      case 'request':
        if (party.role !== 'technician') return this.reject(ws, new GatewayError('E_FORBIDDEN', 'only the technician requests powers'), false);
        this.sendReliable(session, peer!, { v: 1, type: 'request', power: msg.power });
        return;
      case 'grant':
      case 'revoke':
        if (party.role !== 'customer') return this.reject(ws, new GatewayError('E_FORBIDDEN', 'only the customer grants or revokes powers'), false);
        if (msg.type === 'grant') session.grants.add(msg.power);
        else session.grants.delete(msg.power);
        this.deps.log.info('session.grants', { guid: session.guid, change: msg.type, power: msg.power });
        {
          const grants: ServerMessage = { v: 1, type: 'grants', powers: [...session.grants] };
          this.send(ws, grants);
          if (peer) this.sendReliable(session, peer, grants);
        }
        return;
      case 'join':
      case 'pickup':
        this.reject(ws, new GatewayError('E_BAD_MESSAGE', `already ${party.phase}`), false);
        return;
    }
  }

  // ---- endings ------------------------------------------------------------------------------------------

  private expire(session: LocalSession): void {
    this.sessions.delete(session.guid);
    this.updateGauges();
    this.background(this.deps.lifecycle.transition(session.guid, 'expired', { reason: 'expired', from: ['waiting'] }));
    if (session.customer) {
      this.send(session.customer, { v: 1, type: 'state', state: 'expired', guid: session.guid, reason: 'expired' });
      this.closeParty(session.customer, errorCodes.E_SESSION_EXPIRED.close, 'E_SESSION_EXPIRED');
    }
  }

  /**
   * Ends a session for everyone connected here: records the transition, tells each remaining party why,
   * and closes it. Whoever caused it (the party that left) is already gone; the other gets a close code
   * that says what happened.
   */
  private endSession(session: LocalSession, reason: CloseReason): void {
    if (this.sessions.get(session.guid) !== session) return;
    this.sessions.delete(session.guid);
    this.updateGauges();
    this.background(this.deps.lifecycle.transition(session.guid, 'closed', { reason, from: ['waiting', 'active'] }));
    const code = closeCodeFor(reason);
    for (const ws of [session.customer, session.technician]) {
      if (!ws || ws.getUserData().phase === 'closed') continue;
      this.send(ws, { v: 1, type: 'state', state: 'closed', guid: session.guid, reason });
      this.closeParty(ws, code.code, code.text);
    }
  }

  private slowConsumer(session: LocalSession, slow: PartySocket): void {
    this.droppedBy.slow_consumer.inc();
    this.deps.log.warn('relay.slow_consumer', { guid: session.guid, role: slow.getUserData().role, queuedBytes: slow.getBufferedAmount() });
    // The slow side gets its close code first (its queue is full, so no state frame would get through).
    this.closeParty(slow, errorCodes.E_SLOW_CONSUMER.close, 'E_SLOW_CONSUMER');
    this.endSession(session, 'slow_consumer');
  }

  // ---- sending ------------------------------------------------------------------------------------------

  private sendReliable(session: LocalSession, ws: PartySocket, msg: ServerMessage): void {
    if (deliver(ws, encodeServerMessage(msg), false, 'reliable', this.options) === 'overflow') this.slowConsumer(session, ws);
  }

  /** Gateway-originated frames (state, errors): small, and lose nothing by bypassing the queue caps. */
  private send(ws: PartySocket, msg: ServerMessage): void {
    if (ws.getUserData().phase !== 'closed') ws.send(encodeServerMessage(msg), false);
  }

  private reject(ws: PartySocket, err: GatewayError, close: boolean): void {
    this.deps.metrics.rejected.inc({ code: err.code });
    if (err.code === 'E_INTERNAL') this.deps.log.error('relay.internal_error', { err });
    const party = ws.getUserData();
    if (party.phase === 'closed') return;
    this.send(ws, { v: 1, type: 'error', code: err.code, message: err.message });
    if (close) {
      if (party.phase === 'pending') party.phase = 'hello'; // nothing was joined; let onClose do plain bookkeeping
      this.closeParty(ws, err.closeCode, err.code);
    }
  }

  private closeParty(ws: PartySocket, code: number, text: string): void {
    const party = ws.getUserData();
    if (party.phase === 'closed') return;
    // onClose runs inside end(); detaching first keeps it from ending the session a second time.
    party.session = null;
    ws.end(code, text);
  }

  private updateGauges(): void {
    let waiting = 0;
    let active = 0;
    for (const s of this.sessions.values()) s.paired ? active++ : waiting++;
    this.deps.metrics.liveSessions.set({ state: 'waiting' }, waiting);
    this.deps.metrics.liveSessions.set({ state: 'active' }, active);
  }

  /** Registry writes that nobody awaits: failures are logged (e.g. Redis down), relaying goes on. */
  private background(work: Promise<unknown>): void {
    work.catch((err) => this.deps.log.warn('registry.background_write_failed', { err }));
  }
}

/** Re-read after an await: the socket may have closed meanwhile (a plain compare would be narrowed away by tsc). */
function hasClosed(party: Party): boolean {
  return party.phase === 'closed';
}

/** How each ending closes the remaining party: an error code from errors/gateway-error.ts, or null for a normal close. */
const closeErrorFor: Record<CloseReason, ErrorCode | null> = {
  customer_ended: null,
  technician_ended: null,
  revoked: null,
  idle_timeout: 'E_IDLE_TIMEOUT',
  expired: 'E_SESSION_EXPIRED',
  gateway_shutdown: 'E_SHUTTING_DOWN',
  protocol_error: 'E_BAD_MESSAGE',
  customer_left: 'E_PEER_GONE',
  technician_left: 'E_PEER_GONE',
  slow_consumer: 'E_PEER_GONE',
};

function closeCodeFor(reason: CloseReason): { code: number; text: string } {
  const error = closeErrorFor[reason];
  return error ? { code: errorCodes[error].close, text: error } : { code: CLOSE_NORMAL, text: reason };
}
