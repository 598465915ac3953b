import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { constantTimeEqual } from '../auth/constant-time.js';
import type { LinkStream, OpenRequest } from '../cluster/link-stream.js';
import { RemotePartySocket } from '../cluster/remote-party-socket.js';
import { GatewayError, asGatewayError, errorCodes } from '../errors/gateway-error.js';
import type { Logger } from '../log/logger.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { channelById } from '../protocol/channels.js';
import { encodeServerMessage, parseClientMessage, type ClientMessage, type Role, type ServerMessage } from '../protocol/envelope.js';
import type { GatewayRecord, Registry } from '../registry/registry.js';
import type { PinGuard } from '../session/pin-guard.js';
import type { CloseReason, SessionRecord } from '../session/session-record.js';
import type { SessionLifecycle } from '../session/transition.js';
import { closeCodeFor, isCloseReason, isDisconnect } from './close-reasons.js';
import type { DeliveryOutcome, DropReason, QueueLimits } from './deliver.js';
import { LocalSession } from './local-session.js';
import { Outbox, type OutboxEntry } from './outbox.js';
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
  /** A connection that has not sent its join/pickup/resume within this time is closed. */
  helloTimeoutMs: number;
  /** Active sessions' registry records are kept alive for this long past the last refresh. */
  activeTtlMs: number;
  /** How long a paired session waits for a party that lost its connection to resume. */
  resumeGraceMs: number;
  /** Reach a session on another gateway by relaying over the link, or by sending the client there. */
  clusterMode: 'relay' | 'redirect';
}

/** What the relay needs of the cluster to reach a session's anchor gateway. */
export interface ClusterLinks {
  openStream(peer: { id: string; linkAddress: string }, request: OpenRequest): Promise<LinkStream>;
  isReachable(peer: { id: string; linkAddress: string }): Promise<boolean>;
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

const TOUCH_EVERY_MS = 30_000;
const EXPIRY_GRACE_MS = 60_000;
/** Outbox tags that are not a binary channel of ours: not counted per channel. */
const CONTROL_TAG = -1;
/** Frames carried for a bridged party: counted by the gateway that runs the session. */
const BRIDGED_TAG = -2;
/** How long a resumed party waits for another gateway to finish taking a session over. */
const TAKEOVER_WAIT_MS = [100, 250, 500, 1000];

/**
 * Pairs customers and technicians and relays between them. A session is run by one gateway, its anchor
 * (`anchorGateway` in the registry): parties connected elsewhere reach it over the gateway link, and when
 * the anchor dies or drains, the first gateway a party resumes on takes the session over.
 *
 * Handlers run on the one event loop; after every await they re-check the party's phase, because the socket
 * may have closed meanwhile (uWS sockets must not be used after their close event).
 */
export class SessionRelay {
  /** Sessions this gateway runs, by GUID. */
  private readonly sessions = new Map<string, LocalSession>();
  /** Connections that have not yet sent their first message (for the hello timeout). */
  private readonly greeting = new Set<PartySocket>();
  private readonly sockets = new Set<PartySocket>();
  private lastTouch = 0;
  private shuttingDown = false;
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
    this.outbox = new Outbox(
      options,
      (entry, outcome) => this.delivered(entry, outcome),
      (err) => {
        deps.metrics.rejected.inc({ code: 'E_INTERNAL' });
        deps.log.error('relay.write_failed', { err });
      },
    );
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
      // The anchor gateway checks and relays; this one only carries (encodeFrame copies the bytes).
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
        if (msg.type === 'resume') void this.resume(ws, party, msg);
        else if (party.role === 'customer' && msg.type === 'join') void this.join(ws, party, msg);
        else if (party.role === 'technician' && msg.type === 'pickup') void this.pickup(ws, party, msg);
        else this.reject(ws, new GatewayError('E_BAD_MESSAGE', `the first message of a ${party.role} must be "${party.role === 'customer' ? 'join' : 'pickup'}" or "resume"`), true);
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
    this.partyLeft(party, ws, phase, party.leaving ?? leftReason(party.role));
  }

  /** Called once a second: expiry, idle and resume timeouts, hello timeout, registry refresh. */
  tick(): void {
    const now = this.deps.now();
    for (const ws of this.greeting) {
      if (now - ws.getUserData().connectedAt > this.options.helloTimeoutMs) {
        this.greeting.delete(ws);
        this.reject(ws, new GatewayError('E_BAD_REQUEST', `no first message within ${this.options.helloTimeoutMs} ms`), true);
      }
    }
    const live: string[] = [];
    for (const session of this.sessions.values()) {
      if (session.suspendedSince !== null) {
        if (now - session.suspendedSince > this.options.resumeGraceMs) this.giveUpOn(session);
        else live.push(session.guid);
      } else if (!session.paired) {
        if (session.expiresAt <= now) this.expire(session);
      } else if (now - session.lastActivity > this.options.idleTimeoutMs) {
        this.endSession(session, 'idle_timeout');
      } else {
        live.push(session.guid);
      }
    }
    this.updateGauges();
    if (now - this.lastTouch >= TOUCH_EVERY_MS && live.length > 0) {
      this.lastTouch = now;
      this.background(this.deps.registry.touchSessions(live, this.options.activeTtlMs));
    }
  }

  /** Ends a session at an operator's or technician's request (HTTP DELETE). False if it does not run here. */
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

  /**
   * SIGTERM, last step: close what is still connected. Paired sessions stay active in the registry, so their
   * parties resume on another gateway, which takes them over (this one is marked draining).
   */
  closeAll(): void {
    this.shuttingDown = true;
    for (const ws of [...this.sockets]) this.closeParty(ws, errorCodes.E_SHUTTING_DOWN.close, 'E_SHUTTING_DOWN', 'gateway_shutdown');
    this.sessions.clear();
    this.outbox.flush();
  }

  // ---- handshake -------------------------------------------------------------------------------------

  private async join(ws: PartySocket, party: Party, msg: Extract<ClientMessage, { type: 'join' }>): Promise<void> {
    party.phase = 'pending';
    const { lifecycle, registry, pinGuard, now } = this.deps;
    try {
      await pinGuard.assertAllowed(party.remoteIp);
      const record = msg.pin !== undefined ? await registry.findSessionByPin(msg.pin) : await registry.getSession(msg.guid!);
      const guid = record?.guid;
      if (record?.state === 'waiting' && (await this.anchorIsGone(record))) {
        // Its customer waited on a gateway that died: that customer is back (it knows the PIN), here.
        await lifecycle.transition(record.guid, 'created', { reason: 'customer_disconnected', from: ['waiting'] });
        record.state = 'created';
      }
      // Wrong, expired and used PINs get the same answer, so a guesser learns nothing about other sessions.
      if (!guid || !record || record.state !== 'created' || record.expiresAt <= now()) {
        await pinGuard.recordFailure(party.remoteIp);
        throw new GatewayError('E_PIN_INVALID');
      }
      const result = await lifecycle.transition(guid, 'waiting', {
        reason: 'customer_joined',
        from: ['created'],
        set: { customerName: msg.name, anchorGateway: this.options.gatewayId },
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
      this.send(ws, { v: 1, type: 'state', state: 'waiting', guid, expiresAt: record.expiresAt });
    } catch (err) {
      this.reject(ws, asGatewayError(err), true);
    }
  }

  private async pickup(ws: PartySocket, party: Party, msg: Extract<ClientMessage, { type: 'pickup' }>): Promise<void> {
    party.phase = 'pending';
    const started = performance.now();
    const { lifecycle, metrics } = this.deps;
    try {
      const who = await this.deps.authenticate(msg.token);
      party.technicianId = who.technicianId;
      party.technicianName = who.displayName || who.username;
      if (this.options.clusterMode === 'redirect') await this.redirectIfElsewhere(await this.deps.registry.getSession(msg.guid));
      const result = await lifecycle.transition(msg.guid, 'active', {
        reason: 'picked_up',
        from: ['waiting'],
        orgId: who.orgId,
        set: { technicianId: who.technicianId, technicianName: party.technicianName },
      });
      if (!result.ok) {
        // Another organisation's session is "not found": its existence is not ours to reveal.
        if (result.reason !== 'wrong_state') throw new GatewayError('E_SESSION_NOT_FOUND');
        const state = result.session.state;
        throw new GatewayError(state === 'active' ? 'E_SESSION_TAKEN' : state === 'created' ? 'E_SESSION_NOT_WAITING' : 'E_SESSION_CLOSED');
      }
      const session = this.sessions.get(msg.guid);
      const anchor = result.session.anchorGateway;
      if (!session?.customer && anchor && anchor !== this.options.gatewayId && this.deps.links) {
        const peer = await this.deps.registry.getGateway(anchor);
        if (!peer) throw new GatewayError('E_PEER_GONE'); // the customer's gateway is gone, and the customer with it
        await this.bridge(ws, party, peer, { guid: msg.guid, orgId: result.session.orgId, role: 'technician', resume: false, technicianId: who.technicianId, technicianName: party.technicianName });
      } else if (!session?.customer) {
        throw new GatewayError('E_PEER_GONE'); // the customer left between listing and pickup
      } else if (isGone(party)) {
        this.endSession(session, 'technician_left');
        return;
      } else {
        this.attach(session, ws, party);
      }
      metrics.pickupSeconds.observe((performance.now() - started) / 1000);
    } catch (err) {
      const e = asGatewayError(err);
      if (e.code === 'E_PEER_GONE') {
        this.background(lifecycle.transition(msg.guid, 'closed', { reason: 'customer_left', from: ['active'] }));
      }
      this.reject(ws, e, true);
    }
  }

  /**
   * A party comes back to an active session, on any gateway, with the resume token it got at pairing. The
   * session continues where its anchor is; if the anchor is gone or draining, this gateway takes it over.
   */
  private async resume(ws: PartySocket, party: Party, msg: Extract<ClientMessage, { type: 'resume' }>): Promise<void> {
    party.phase = 'pending';
    const { registry, pinGuard } = this.deps;
    try {
      await pinGuard.assertAllowed(party.remoteIp);
      let record = await registry.getSession(msg.guid);
      const expected = party.role === 'customer' ? record?.customerResumeHash : record?.technicianResumeHash;
      if (!record || record.state !== 'active' || !expected || !constantTimeEqual(sha256(msg.token), expected)) {
        await pinGuard.recordFailure(party.remoteIp);
        throw new GatewayError('E_SESSION_NOT_FOUND');
      }
      if (party.role === 'technician') {
        party.technicianId = record.technicianId;
        party.technicianName = record.technicianName;
      }
      const request: OpenRequest = { guid: record.guid, orgId: record.orgId, role: party.role, resume: true, technicianId: party.technicianId, technicianName: party.technicianName };
      for (const waitMs of [0, ...TAKEOVER_WAIT_MS]) {
        if (waitMs) {
          await sleep(waitMs);
          record = await registry.getSession(msg.guid);
          if (!record || record.state !== 'active') throw new GatewayError('E_SESSION_CLOSED');
        }
        if (isGone(party)) return;
        const anchor = record.anchorGateway;
        if (anchor === this.options.gatewayId) {
          this.attach(this.sessions.get(record.guid) ?? this.adopt(record), ws, party);
          return;
        }
        const peer = anchor && this.deps.links ? await registry.getGateway(anchor) : null;
        if (peer && !peer.draining && this.options.clusterMode === 'redirect') throw new GatewayError('E_REDIRECT', undefined, peer.publicUrl);
        if (peer && !peer.draining) {
          try {
            await this.bridge(ws, party, peer, request);
            return;
          } catch (err) {
            if (asGatewayError(err).code !== 'E_PEER_GONE') throw err;
            // The anchor cannot be reached (it died since its last heartbeat): take over below.
          }
        }
        // One gateway takes a session over from a given anchor: the first to count this key.
        if ((await registry.hit(`takeover:${record.guid}:${anchor ?? ''}`, 60_000)) === 1) {
          const taken = await registry.updateSession(record.guid, { states: ['active'] }, { set: { anchorGateway: this.options.gatewayId, updatedAt: this.deps.now() }, ttlMs: this.options.activeTtlMs });
          if (!taken.ok) throw new GatewayError('E_SESSION_CLOSED');
          this.deps.log.info('session.taken_over', { guid: record.guid, from: anchor });
          if (isGone(party)) return;
          this.attach(this.sessions.get(record.guid) ?? this.adopt(taken.session), ws, party);
          return;
        }
        // Another gateway is taking it over: read the record again for the new anchor.
      }
      throw new GatewayError('E_RECONNECT');
    } catch (err) {
      this.reject(ws, asGatewayError(err), true);
    }
  }

  /** Redirect mode: a session whose anchor is another live gateway is reached there, not through us. */
  private async redirectIfElsewhere(record: SessionRecord | null): Promise<void> {
    const anchor = record?.anchorGateway;
    if (!anchor || anchor === this.options.gatewayId) return;
    const gateway = await this.deps.registry.getGateway(anchor);
    if (gateway && !gateway.draining) throw new GatewayError('E_REDIRECT', undefined, gateway.publicUrl);
  }

  /** Gone: not listed, draining, or (listed until its heartbeat lapses, up to 5 s) not answering on its link. */
  private async anchorIsGone(record: SessionRecord): Promise<boolean> {
    const anchor = record.anchorGateway;
    if (!anchor || anchor === this.options.gatewayId) return false;
    const gateway = await this.deps.registry.getGateway(anchor);
    if (gateway === null || gateway.draining) return true;
    return this.deps.links ? !(await this.deps.links.isReachable(gateway)) : false;
  }

  /** This gateway becomes the anchor of an active session (after a takeover, or a restart under the same id). */
  private adopt(record: SessionRecord): LocalSession {
    const session = new LocalSession(record.guid, record.orgId, record.customerName ?? '', record.expiresAt, this.deps.now());
    for (const power of record.grants ?? []) session.grants.add(power);
    session.everPaired = true;
    session.suspendedSince = this.deps.now();
    this.sessions.set(record.guid, session);
    return session;
  }

  /**
   * Puts a party (local, or remote over a link) into its place in a session this gateway runs. When both
   * are there: first pairing (tokens, metrics), or a re-pairing after a disconnect (each side told, the
   * customer asked for a keyframe).
   */
  private attach(session: LocalSession, ws: PartySocket, party: Party): void {
    const { now } = this.deps;
    const stale = session.party(party.role);
    if (stale && stale !== ws) {
      // A connection of the same party that has not noticed it is dead yet: the new one replaces it.
      stale.getUserData().session = null;
      this.closeParty(stale, errorCodes.E_RECONNECT.close, 'E_RECONNECT');
    }
    session.setParty(party.role, ws);
    party.session = session;
    party.phase = 'paired';
    session.lastActivity = now();
    const peer = session.peerOf(ws);
    if (!peer) {
      // Resumed before the other party: it will be told when that one is back.
      this.send(ws, { v: 1, type: 'state', state: 'active', guid: session.guid, customerName: session.customerName });
      this.send(ws, { v: 1, type: 'peer', state: 'reconnecting' });
      return;
    }
    peer.getUserData().phase = 'paired';
    const technician = session.technician!.getUserData().technicianName;
    const active = (resumeToken?: string): ServerMessage => ({ v: 1, type: 'state', state: 'active', guid: session.guid, customerName: session.customerName, technician, resumeToken });
    if (!session.everPaired) {
      session.everPaired = true;
      const tokens = { customer: newToken(), technician: newToken() };
      this.background(
        this.deps.registry.updateSession(session.guid, { states: ['active'] }, { set: { customerResumeHash: sha256(tokens.customer), technicianResumeHash: sha256(tokens.technician) } }),
      );
      this.send(session.customer!, active(tokens.customer));
      this.send(session.technician!, active(tokens.technician));
      this.deps.metrics.pairingSeconds.observe((now() - session.joinedAt) / 1000);
    } else {
      session.suspendedSince = null;
      this.send(ws, active());
      this.send(peer, { v: 1, type: 'peer', state: 'back' });
      this.send(ws, { v: 1, type: 'peer', state: 'back' });
      const grants: ServerMessage = { v: 1, type: 'grants', powers: [...session.grants] };
      this.send(session.customer!, grants);
      this.send(session.technician!, grants);
      // The viewer's picture did not survive the move: ask the customer's agent for a keyframe.
      this.send(session.customer!, { v: 1, type: 'resync' });
      this.deps.log.info('session.resumed', { guid: session.guid, role: party.role });
    }
  }

  /**
   * A party here, its session run by `peer`: open a stream there and carry the party's frames both ways;
   * the anchor runs the session (grants, channels, timeouts). Rejects with E_PEER_GONE if it cannot.
   */
  private async bridge(ws: PartySocket, party: Party, peer: GatewayRecord, request: OpenRequest): Promise<void> {
    const stream = await this.deps.links!.openStream(peer, request);
    if (isGone(party)) {
      stream.close(closeCodeFor(leftReason(party.role)).code, leftReason(party.role));
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
   * Anchor side of a bridge: a party on another gateway (a technician picking up, or either party resuming)
   * joins a session this gateway runs. Throws E_PEER_GONE when it cannot.
   */
  async attachRemote(stream: LinkStream, request: OpenRequest): Promise<void> {
    let session = this.sessions.get(request.guid);
    if (!session && request.resume) {
      // Restarted under the same gateway id: the registry still names us the anchor.
      const record = await this.deps.registry.getSession(request.guid);
      if (record?.state === 'active' && record.anchorGateway === this.options.gatewayId) session = this.adopt(record);
    }
    const valid = session && session.orgId === request.orgId && (request.resume || (session.customer && !session.technician && !session.everPaired));
    if (!session || !valid || this.shuttingDown) throw new GatewayError('E_PEER_GONE');
    const party: Party = {
      role: request.role,
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
    this.attach(session, socket, party);
  }

  // ---- paired traffic ----------------------------------------------------------------------------------

  /** Hot path: one lookup for the channel, checks, one queued send. The bytes are relayed untouched. */
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
      case 'overflow':
        this.slowConsumer(entry.ws);
        return;
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
      case 'ack':
        if (!peer) {
          // While the other party reconnects, its SDK replays what it missed from its own buffer (sync ack).
          if (session.everPaired) this.droppedBy.no_peer.inc();
          else this.reject(ws, new GatewayError('E_BAD_MESSAGE', 'no technician has joined yet'), false);
          return;
        }
        // Acks are the SDK's bookkeeping, not someone using the session: they do not reset the idle timer.
        if (msg.type === 'chat') session.lastActivity = this.deps.now();
        this.sendReliable(peer, msg.type === 'chat' ? { v: 1, type: 'chat', from: party.role, text: msg.text, at: this.deps.now(), seq: msg.seq } : { v: 1, type: 'ack', seq: msg.seq, sync: msg.sync || undefined });
        return;
      case 'request':
        if (party.role !== 'technician') return this.reject(ws, new GatewayError('E_FORBIDDEN', 'only the technician requests powers'), false);
        if (peer) this.sendReliable(peer, { v: 1, type: 'request', power: msg.power });
        return;
      case 'grant':
      case 'revoke': {
        if (party.role !== 'customer') return this.reject(ws, new GatewayError('E_FORBIDDEN', 'only the customer grants or revokes powers'), false);
        if (msg.type === 'grant') session.grants.add(msg.power);
        else session.grants.delete(msg.power);
        this.deps.log.info('session.grants', { guid: session.guid, change: msg.type, power: msg.power });
        const powers = [...session.grants];
        // Kept in the registry so consent survives a move to another gateway.
        this.background(this.deps.registry.updateSession(session.guid, { states: ['active'] }, { set: { grants: powers } }));
        const grants: ServerMessage = { v: 1, type: 'grants', powers };
        this.send(ws, grants);
        if (peer) this.sendReliable(peer, grants);
        return;
      }
      case 'join':
      case 'pickup':
      case 'resume':
        this.reject(ws, new GatewayError('E_BAD_MESSAGE', `already ${party.phase}`), false);
        return;
    }
  }

  // ---- endings ------------------------------------------------------------------------------------------

  /**
   * What a party's departure means, whether it hung up or the gateway closed it: a waiting customer's
   * session goes back to "created" (its PIN stays valid, so it can connect again); a paired session whose
   * party lost its connection is suspended for resumeGraceMs (the other party is told); anything else ends
   * the session. Runs once per party: it detaches the party first.
   */
  private partyLeft(party: Party, ws: PartySocket, phaseBefore: Party['phase'], reason: CloseReason): void {
    if (party.bridge) {
      // Tell the anchor why, so its side of the session suspends or ends for the same reason.
      party.bridge.close(closeCodeFor(reason).code, reason);
      party.bridge = undefined;
    }
    const session = party.session;
    party.session = null;
    if (!session || this.sessions.get(session.guid) !== session || session.party(party.role) !== ws) return;
    if (phaseBefore === 'waiting') {
      this.sessions.delete(session.guid);
      this.background(this.deps.lifecycle.transition(session.guid, 'created', { reason: 'customer_disconnected', from: ['waiting'] }));
      return;
    }
    if (this.shuttingDown) return; // the session stays active in the registry for another gateway to take over
    if (session.everPaired && isDisconnect(reason) && this.options.resumeGraceMs > 0) {
      session.setParty(party.role, null);
      session.suspendedSince ??= this.deps.now();
      const other = session.party(party.role === 'customer' ? 'technician' : 'customer');
      if (other) this.send(other, { v: 1, type: 'peer', state: 'reconnecting' });
      return;
    }
    this.endSession(session, reason);
  }

  /**
   * A suspended session whose party did not come back. If another gateway has taken it over meanwhile
   * (the party resumed there), it is no longer ours to end: just forget it here.
   */
  private giveUpOn(session: LocalSession): void {
    session.suspendedSince = Number.POSITIVE_INFINITY; // not again at the next tick while we look
    this.deps.registry.getSession(session.guid).then(
      (record) => {
        if (record?.state === 'active' && record.anchorGateway !== this.options.gatewayId) {
          if (this.sessions.get(session.guid) === session) this.sessions.delete(session.guid);
          for (const ws of [session.customer, session.technician]) if (ws) this.closeParty(ws, errorCodes.E_RECONNECT.close, 'E_RECONNECT');
        } else {
          this.endSession(session, 'resume_timeout');
        }
      },
      // Registry down: end it locally (the record expires by its TTL), rather than keep waiting forever.
      () => this.endSession(session, 'resume_timeout'),
    );
  }

  private expire(session: LocalSession): void {
    this.sessions.delete(session.guid);
    this.background(this.deps.lifecycle.transition(session.guid, 'expired', { reason: 'expired', from: ['waiting'] }));
    if (session.customer) {
      this.send(session.customer, { v: 1, type: 'state', state: 'expired', guid: session.guid, reason: 'expired' });
      this.closeParty(session.customer, errorCodes.E_SESSION_EXPIRED.close, 'E_SESSION_EXPIRED');
    }
  }

  /**
   * Ends a session for everyone: records the transition, tells each remaining party why, and closes it.
   * Whoever caused it (the party that left) is already gone; the other gets a close code that says what happened.
   */
  private endSession(session: LocalSession, reason: CloseReason): void {
    if (this.sessions.get(session.guid) !== session) return;
    this.sessions.delete(session.guid);
    this.background(this.deps.lifecycle.transition(session.guid, 'closed', { reason, from: ['waiting', 'active'] }));
    const code = closeCodeFor(reason);
    for (const ws of [session.customer, session.technician]) {
      if (!ws || isGone(ws.getUserData())) continue;
      this.send(ws, { v: 1, type: 'state', state: 'closed', guid: session.guid, reason });
      this.closeParty(ws, code.code, code.text, reason);
    }
  }

  private slowConsumer(slow: PartySocket): void {
    const party = slow.getUserData();
    this.droppedBy.slow_consumer.inc();
    this.deps.log.warn('relay.slow_consumer', { guid: party.session?.guid, role: party.role, queuedBytes: slow.getBufferedAmount() });
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
    this.send(ws, { v: 1, type: 'error', code: err.code, message: err.message, url: err.url });
    if (close) {
      if (party.phase === 'pending') party.phase = 'hello'; // nothing was joined; let onClose do plain bookkeeping
      // A party closed for breaking the protocol may not resume: its session ends.
      this.closeParty(ws, err.closeCode, err.code, 'protocol_error');
    }
  }

  /** Queues a close; the party's session feels it now (partyLeft), not when the close is written. */
  private closeParty(ws: PartySocket, code: number, text: string, reason?: CloseReason): void {
    const party = ws.getUserData();
    if (isGone(party)) return;
    const phase = party.phase;
    party.phase = 'closing';
    this.partyLeft(party, ws, phase, reason ?? leftReason(party.role));
    this.outbox.close(ws, code, text);
  }

  /** Once a second from tick(): a walk over all sessions, too costly to repeat on every join and leave. */
  private updateGauges(): void {
    let waiting = 0;
    let active = 0;
    let suspended = 0;
    for (const s of this.sessions.values()) {
      if (s.suspendedSince !== null) suspended++;
      else if (s.paired) active++;
      else waiting++;
    }
    this.deps.metrics.liveSessions.set({ state: 'waiting' }, waiting);
    this.deps.metrics.liveSessions.set({ state: 'active' }, active);
    this.deps.metrics.liveSessions.set({ state: 'suspended' }, suspended);
  }

  /** Registry writes that nobody awaits: failures are logged (e.g. Redis down), relaying goes on. */
  private background(work: Promise<unknown>): void {
    work.catch((err) => this.deps.log.warn('registry.background_write_failed', { err }));
  }
}

const leftReason = (role: Role): CloseReason => (role === 'customer' ? 'customer_left' : 'technician_left');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const newToken = () => randomBytes(16).toString('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A standalone copy (link frames share one buffer per read; the relay may keep what it gets). */
function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Closed, or a close is queued. A function so tsc does not narrow `phase` away across an await. */
function isGone(party: Party): boolean {
  return party.phase === 'closed' || party.phase === 'closing';
}
