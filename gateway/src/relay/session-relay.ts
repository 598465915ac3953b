import { performance } from 'node:perf_hooks';
import { GatewayError, asGatewayError, errorCodes, type ErrorCode } from '../errors/gateway-error.js';
import type { Logger } from '../log/logger.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { channelById } from '../protocol/channels.js';
import { encodeServerMessage, parseClientMessage, type ClientMessage, type ServerMessage } from '../protocol/envelope.js';
import type { Registry } from '../registry/registry.js';
import type { PinGuard } from '../session/pin-guard.js';
import type { CloseReason, SessionRecord } from '../session/session-record.js';
import type { SessionLifecycle } from '../session/transition.js';
import type { DeliveryOutcome, DropReason, QueueLimits } from './deliver.js';
import { LocalSession } from './local-session.js';
import { Outbox, type OutboxEntry } from './outbox.js';
import type { LinkStream, OpenRequest } from '../cluster/link-stream.js';
import { RemotePartySocket } from '../cluster/remote-party-socket.js';
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
  /** Larger messages close the sender with E_MESSAGE_TOO_LARGE (uWS itself drops the connection at twice this). */
  maxMessageBytes: number;
  idleTimeoutMs: number;
  /** A connection that has not sent its join/pickup within this time is closed. */
  helloTimeoutMs: number;
  /** Active sessions' registry records are kept alive for this long past the last refresh. */
  activeTtlMs: number;
}

/** What the relay needs of the cluster to reach a customer on another gateway. */
export interface ClusterLinks {
  openStream(peer: { id: string; linkAddress: string }, request: OpenRequest): Promise<LinkStream>;
}

export interface RelayDeps {
  registry: Registry;
  /** Absent on a lone gateway (memory registry). */
  links?: ClusterLinks;
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
const EXPIRY_GRACE_MS = 60_000;
/** Outbox tags that are not a binary channel of ours: not counted per channel. */
const CONTROL_TAG = -1;
/** Frames carried for a bridged technician: counted by the gateway that runs the session. */
const BRIDGED_TAG = -2;

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
  private readonly outbox: Outbox;
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
    this.outbox = new Outbox(options, (entry, outcome) => this.delivered(entry, outcome));
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
    if (data.byteLength > this.options.maxMessageBytes) {
      this.reject(ws, new GatewayError('E_MESSAGE_TOO_LARGE', `messages are limited to ${this.options.maxMessageBytes} bytes`), true);
      return;
    }
    if (party.phase === 'paired' && isBinary) {
      this.relayBinary(ws, party, data);
      return;
    }
    if (party.phase === 'bridged') {
      // The customer's gateway checks and relays; this one only carries (encodeFrame copies the bytes).
      if (isBinary) party.bridge!.sendBinary(new Uint8Array(data));
      else party.bridge!.sendText(Buffer.from(data).toString('utf8'));
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
      case 'closing':
      case 'closed':
        return;
    }
  }

  onClose(ws: PartySocket): void {
    const party = ws.getUserData();
    this.sockets.delete(ws);
    this.greeting.delete(ws);
    if (!party.remote) this.deps.metrics.connections.dec({ role: party.role });
    const phase = party.phase;
    party.phase = 'closed';
    this.partyLeft(party, phase, party.leaving ?? (party.role === 'customer' ? 'customer_left' : 'technician_left'));
  }

  /**
   * What a party's departure means for its session, whether it hung up or the gateway closed it: a waiting
   * customer's session goes back to "created" (its PIN stays valid, so it can connect again); a paired
   * session ends and the other party is told `reason`. Runs once per party: it detaches the party first.
   */
  private partyLeft(party: Party, phaseBefore: Party['phase'], reason: CloseReason): void {
    if (party.bridge) {
      // Tell the customer's gateway why, so its side of the session ends with the same reason.
      party.bridge.close(closeCodeFor(reason).code, reason);
      party.bridge = undefined;
    }
    const session = party.session;
    party.session = null;
    if (!session || this.sessions.get(session.guid) !== session) return;
    if (phaseBefore === 'waiting') {
      this.sessions.delete(session.guid);
      this.updateGauges();
      this.background(this.deps.lifecycle.transition(session.guid, 'created', { reason: 'customer_disconnected', from: ['waiting'] }));
      return;
    }
    this.endSession(session, reason);
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
    for (const ws of this.sockets) this.outbox.notice(ws, notice);
  }

  /** SIGTERM, last step: close what is still connected. */
  closeAll(): void {
    for (const session of [...this.sessions.values()]) this.endSession(session, 'gateway_shutdown');
    for (const ws of [...this.sockets]) this.closeParty(ws, errorCodes.E_SHUTTING_DOWN.close, 'E_SHUTTING_DOWN');
    this.outbox.flush();
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
        // Outlive expiresAt a little, so the gateway can still record the expiry (metric, log) itself.
        ttlMs: record.expiresAt - now() + EXPIRY_GRACE_MS,
      });
      if (!result.ok) throw new GatewayError('E_PIN_INVALID'); // another customer won the race for this PIN
      if (isGone(party)) {
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
      const owner = result.session.customerGateway;
      if (!session?.customer && owner && owner !== this.options.gatewayId && this.deps.links) {
        await this.bridge(ws, party, result.session, owner);
      } else if (!session?.customer) {
        // The customer left between listing and pickup.
        this.background(lifecycle.transition(msg.guid, 'closed', { reason: 'customer_left', from: ['active'] }));
        throw new GatewayError('E_PEER_GONE');
      } else if (isGone(party)) {
        this.endSession(session, 'technician_left');
        return;
      } else {
        this.pair(session, ws, party);
      }
      metrics.pickupSeconds.observe((performance.now() - started) / 1000);
    } catch (err) {
      this.reject(ws, asGatewayError(err), true);
    }
  }

  /** The customer is here and the technician `ws` (local or remote) has won the session: connect them. */
  private pair(session: LocalSession, ws: PartySocket, party: Party): void {
    const { metrics, now } = this.deps;
    session.technician = ws;
    session.lastActivity = now();
    party.session = session;
    party.phase = 'paired';
    session.customer!.getUserData().phase = 'paired';
    this.updateGauges();
    const active: ServerMessage = { v: 1, type: 'state', state: 'active', guid: session.guid, customerName: session.customerName, technician: party.technicianName };
    this.send(session.customer!, active);
    this.send(ws, active);
    metrics.pairingSeconds.observe((now() - session.joinedAt) / 1000);
  }

  /**
   * Technician's gateway: the customer waits on gateway `owner`. Open a stream there and carry the
   * technician's frames both ways; that gateway runs the session (grants, channels, timeouts).
   */
  private async bridge(ws: PartySocket, party: Party, record: SessionRecord, owner: string): Promise<void> {
    const closeSession = () =>
      this.background(this.deps.lifecycle.transition(record.guid, 'closed', { reason: 'customer_left', from: ['active'] }));
    const peer = await this.deps.registry.getGateway(owner);
    if (!peer) {
      closeSession(); // the customer's gateway is gone, and the customer with it
      throw new GatewayError('E_PEER_GONE');
    }
    let stream: LinkStream;
    try {
      stream = await this.deps.links!.openStream(peer, {
        guid: record.guid,
        technicianId: party.technicianId!,
        technicianName: party.technicianName!,
        orgId: record.orgId,
      });
    } catch (err) {
      closeSession();
      throw err;
    }
    if (isGone(party)) {
      stream.close(closeCodeFor('technician_left').code, 'technician_left');
      return;
    }
    party.phase = 'bridged';
    party.bridge = stream;
    stream.attach({
      text: (text) => this.outbox.deliver(ws, text, false, 'reliable', CONTROL_TAG),
      binary: (bytes) => this.outbox.deliver(ws, bytes, true, channelById[bytes[0]!]?.class ?? 'reliable', BRIDGED_TAG),
      close: (code, reason) => {
        party.bridge = undefined;
        this.closeParty(ws, code, reason);
      },
    });
  }

  /**
   * Customer's gateway: a technician on another gateway has won one of our waiting sessions and asks, over
   * the gateway link, to be connected. Throws E_PEER_GONE when the customer is no longer here.
   */
  async attachRemote(stream: LinkStream, request: OpenRequest): Promise<void> {
    const session = this.sessions.get(request.guid);
    if (!session?.customer || session.technician || session.orgId !== request.orgId) throw new GatewayError('E_PEER_GONE');
    const party: Party = {
      role: 'technician',
      remoteIp: 'gateway-link',
      connectedAt: this.deps.now(),
      phase: 'paired',
      session: null,
      technicianId: request.technicianId,
      technicianName: request.technicianName,
      remote: true,
    };
    const socket = new RemotePartySocket(stream, party, (s) => this.onClose(s));
    this.sockets.add(socket);
    stream.attach({
      text: (text) => this.onMessage(socket, toArrayBuffer(Buffer.from(text, 'utf8')), false),
      binary: (bytes) => this.onMessage(socket, toArrayBuffer(bytes), true),
      close: (_code, reason) => {
        if (isCloseReason(reason)) party.leaving = reason;
        socket.remoteClosed();
      },
    });
    this.pair(session, socket, party);
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
    // Copy: uWS frees `data` when this handler returns, and the write happens later (relay/outbox.ts).
    this.outbox.deliver(peer, new Uint8Array(data.slice(0)), true, channel.class, channelId);
  }

  /** The outcome of a queued write (outbox flush): metrics, and the slow-receiver rule. */
  private delivered(entry: Extract<OutboxEntry, { kind: 'deliver' }>, outcome: DeliveryOutcome | 'gone'): void {
    switch (outcome) {
      case 'sent':
        if (entry.tag >= 0) {
          this.relayedMessages[entry.tag]!.inc();
          this.relayedBytes[entry.tag]!.inc(typeof entry.data === 'string' ? entry.data.length : entry.data.byteLength);
        }
        return;
      case 'dropped':
        this.droppedBy.backpressure.inc();
        return;
      case 'gone':
        this.droppedBy.no_peer.inc();
        return;
      case 'overflow': {
        const party = entry.ws.getUserData();
        if (party.session) this.slowConsumer(party.session, entry.ws);
        else if (party.phase === 'bridged') this.closeParty(entry.ws, errorCodes.E_SLOW_CONSUMER.close, 'E_SLOW_CONSUMER', 'slow_consumer');
        return;
      }
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
        this.sendReliable(peer, { v: 1, type: 'chat', from: party.role, text: msg.text, at: this.deps.now() });
        return;
      case 'request':
        if (party.role !== 'technician') return this.reject(ws, new GatewayError('E_FORBIDDEN', 'only the technician requests powers'), false);
        this.sendReliable(peer!, { v: 1, type: 'request', power: msg.power });
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
          if (peer) this.sendReliable(peer, grants);
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
      if (!ws || isGone(ws.getUserData())) continue;
      this.send(ws, { v: 1, type: 'state', state: 'closed', guid: session.guid, reason });
      this.closeParty(ws, code.code, code.text);
    }
  }

  private slowConsumer(session: LocalSession, slow: PartySocket): void {
    this.droppedBy.slow_consumer.inc();
    this.deps.log.warn('relay.slow_consumer', { guid: session.guid, role: slow.getUserData().role, queuedBytes: slow.getBufferedAmount() });
    // Only a close code for the slow side (its queue is full, so a state frame would not get through);
    // the other side is told "slow_consumer" by endSession via partyLeft.
    this.closeParty(slow, errorCodes.E_SLOW_CONSUMER.close, 'E_SLOW_CONSUMER', 'slow_consumer');
  }

  // ---- sending ------------------------------------------------------------------------------------------

  /** Control messages between the parties (chat, grants): reliable, so they count against the receiver's cap. */
  private sendReliable(ws: PartySocket, msg: ServerMessage): void {
    this.outbox.deliver(ws, encodeServerMessage(msg), false, 'reliable', CONTROL_TAG);
  }

  /** Gateway-originated frames (state, errors): small, and lose nothing by bypassing the queue caps. */
  private send(ws: PartySocket, msg: ServerMessage): void {
    if (ws.getUserData().phase !== 'closed') this.outbox.notice(ws, encodeServerMessage(msg));
  }

  private reject(ws: PartySocket, err: GatewayError, close: boolean): void {
    this.deps.metrics.rejected.inc({ code: err.code });
    if (err.code === 'E_INTERNAL') this.deps.log.error('relay.internal_error', { err });
    const party = ws.getUserData();
    if (isGone(party)) return;
    this.send(ws, { v: 1, type: 'error', code: err.code, message: err.message });
    if (close) {
      if (party.phase === 'pending') party.phase = 'hello'; // nothing was joined; let onClose do plain bookkeeping
      this.closeParty(ws, err.closeCode, err.code);
    }
  }

  /** Queues a close; the party's session feels it now (partyLeft), not when the close is written. */
  private closeParty(ws: PartySocket, code: number, text: string, reason?: CloseReason): void {
    const party = ws.getUserData();
    if (isGone(party)) return;
    const phase = party.phase;
    party.phase = 'closing';
    this.partyLeft(party, phase, reason ?? (party.role === 'customer' ? 'customer_left' : 'technician_left'));
    this.outbox.close(ws, code, text);
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

const closeReasons = new Set<string>(Object.keys({
  customer_ended: 1, technician_ended: 1, customer_left: 1, technician_left: 1, expired: 1, idle_timeout: 1,
  revoked: 1, slow_consumer: 1, gateway_shutdown: 1, protocol_error: 1,
} satisfies Record<CloseReason, 1>));
function isCloseReason(text: string): text is CloseReason {
  return closeReasons.has(text);
}

/** A standalone copy (link frames share one buffer per read; the relay may keep what it gets). */
function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Closed, or a close is queued. A function so tsc does not narrow `phase` away across an await. */
function isGone(party: Party): boolean {
  return party.phase === 'closed' || party.phase === 'closing';
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
