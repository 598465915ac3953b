import { bindScreenCounters } from '../screen/screen-counters.js';
import { sessionScreens } from '../screen/session-screens.js';
import type { ServerMessage } from '../../../protocol/messages.js';
import { encodeServerMessage, parseClientMessage, type ClientMessage } from '../../../protocol/messages.js';
import { acceptRemote, bridge, carry, commandAnchor, commandEveryGateway } from '../cluster/anchor.js';
import type { LinkStream, OpenRequest } from '../cluster/link-stream.js';
import { BulkCredit } from '../delivery/bulk-credit.js';
import { SocketWriter } from '../delivery/socket-writer.js';
import { FileOffers } from '../files/file-offers.js';
import { sessionFiles } from '../files/session-files.js';
import { GatewayError, asGatewayError, errorCodes } from '../errors/gateway-error.js';
import { join } from '../handshake/join.js';
import { pickup } from '../handshake/pickup.js';
import { place } from '../handshake/place.js';
import { resume } from '../handshake/resume.js';
import { LiveEventBus, liveEventTypes, type LiveEvent } from '../live/live-events.js';
import { LiveSession } from '../live/live-session.js';
import type { Participant } from '../live/participant.js';
import { sessionDeadline } from '../policy/org-policy.js';
import { sessionCopy } from '../live/session-copy.js';
import { sessionNotices } from '../live/session-notices.js';
import type { GatewayRecord } from '../registry/registry.js';
import type { CloseReason, SessionRecord } from '../session/session-record.js';
import { closeCodeFor, isDisconnect } from './close-reasons.js';
import { control } from './control.js';
import { dropReasons, type DropReason } from './drop-reasons.js';
import { exactCreditBytes } from './credit-fast-path.js';
import { forward, type ForwardCounters } from './forward.js';
import { messageText } from './message-text.js';
import { Outbox, type OutboxEntry } from './outbox.js';
import { isGone, type Party, type PartySocket } from './party.js';
import { metricChild } from '../metrics/metric-child.js';
import type { Placement, RelayContext, RelayDeps, RelayOptions } from './relay-context.js';
import { SessionRecordings } from '../recording/session-recordings.js';

export type { TechnicianIdentity, RelayOptions, RelayDeps, ClusterLinks } from './relay-context.js';

const TOUCH_EVERY_MS = 30_000;
/** How often technicians' tokens are checked again while they are in a session (one registry read each). */
const TOKEN_RECHECK_MS = 5_000;
/** Outbox tags that are not a binary channel of ours: not counted per channel. */
const CONTROL_TAG = -1;

/**
 * The connections of this gateway and the live sessions it runs. It dispatches each connection's frames
 * (handshakes in handshake/, forwarding in forward.ts, control messages in control.ts), carries parties whose
 * session runs elsewhere (bridge), and ends sessions. A session is run by one gateway, its anchor
 * (`anchorGateway` in the registry; cluster/anchor.ts).
 *
 * Handlers run on the one event loop; after every await they re-check the party's phase, because the socket
 * may have closed meanwhile (uWS sockets must not be used after their close event).
 */
export class SessionRelay implements RelayContext {
  /** Sessions this gateway runs, by GUID. */
  readonly sessions = new Map<string, LiveSession>();
  readonly bus: LiveEventBus;
  shuttingDown = false;
  /** Connections that have not yet sent their first message (for the hello timeout). */
  private readonly greeting = new Set<PartySocket>();
  private readonly sockets = new Set<PartySocket>();
  private readonly bulk = new WeakMap<LiveSession, BulkCredit>();
  private readonly files = new WeakMap<LiveSession, FileOffers>();
  private lastTouch = 0;
  private lastTokenCheck = 0;
  private readonly outbox: Outbox;
  // Pre-bound metric children: prom-client label lookups are too slow for every relayed message.
  private readonly relayedMessages: ({ inc(n?: number): void } | undefined)[];
  private readonly relayedBytes: ({ inc(n?: number): void } | undefined)[];
  readonly counters: ForwardCounters;
  readonly recordings: SessionRecordings;

  constructor(
    readonly deps: RelayDeps,
    readonly options: RelayOptions,
  ) {
    const m = deps.metrics;
    const channelNames = ['', 'screen', 'input', 'file', 'data', 'cursor'];
    this.relayedMessages = channelNames.map((c) => (c ? m.relayedMessages.labels(c) : undefined));
    this.relayedBytes = channelNames.map((c) => (c ? m.relayedBytes.labels(c) : undefined));
    this.outbox = new Outbox(
      (entry, outcome) => this.delivered(entry, outcome),
      (err) => {
        deps.metrics.rejected.inc({ code: 'E_INTERNAL' });
        deps.log.error('relay.write_failed', { err });
      },
      // Counted once per flush and channel, not per message (prom-client's inc was ~4 % of the 1 KiB relay's CPU).
      (tag, messages, bytes) => {
        this.relayedMessages[tag]?.inc(messages);
        this.relayedBytes[tag]?.inc(bytes);
      },
    );
    this.counters = {
      dropped: Object.fromEntries(dropReasons.map((r) => [r, m.dropped.labels(r)])) as Record<DropReason, { inc(n?: number): void }>,
      copy: (data) => this.outbox.copy(data),
    };
    this.bus = new LiveEventBus((err, event) => deps.log.error('session.subscriber_failed', { err, event: event.type, guid: event.guid }));
    const eventCounters = Object.fromEntries(liveEventTypes.map((t) => [t, m.sessionEvents.labels(t)]));
    this.bus.on((e) => eventCounters[e.type]!.inc());
    this.bus.on((e) => logEvent(deps, e));
    this.bus.on(sessionNotices(this.sessions, (ws, msg) => this.send(ws, msg)));
    this.bus.on(sessionFiles(this));
    this.bus.on(sessionCopy(this.sessions, deps.registry, (w) => this.background(w)));
    this.bus.on(
      sessionScreens({
        sessions: this.sessions,
        resync: (session) => session.customer?.conn && this.send(session.customer.conn, { v: 1, type: 'resync' }),
        counters: bindScreenCounters(m),
        decoders: options.screenDecoders,
        mediaBudgetBytes: options.droppableQueueBytes,
        now: deps.now,
      }),
    );
    this.recordings = new SessionRecordings(this, options.recordingsDir);
    this.bus.on(this.recordings.onEvent);
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  onOpen(ws: PartySocket): void {
    const party = ws.getUserData();
    party.writer = new SocketWriter(ws, this.outbox, this.options, (slow) => this.slowConsumer(slow));
    this.sockets.add(ws);
    if (party.remote) return;
    this.greeting.add(ws);
    metricChild(this.deps.metrics.connections, party.role).inc();
  }

  openSystemWriter(ws: PartySocket): void {
    ws.getUserData().writer = new SocketWriter(ws, this.outbox, this.options, (slow) => this.slowConsumer(slow));
  }

  /** A bulk credit message in the SDK's exact form (relay/credit-fast-path.ts): what control() does with one. */
  private credited(party: Party, bytes: number): void {
    const session = party.session!;
    if (session.participants.has(party.participantId!)) this.bulkOf(session).consumed(party.participantId!, bytes);
  }

  onPong(ws: PartySocket): void {
    ws.getUserData().heard++;
  }

  /**
   * `data`: uWS's message buffer (freed when the handler returns: copy what is kept), or a link frame's bytes (a view
   * into a link read, never written again). `party`: ws.getUserData(), when the caller has it (a call into uWS).
   */
  onMessage(ws: PartySocket, data: ArrayBuffer | Uint8Array, isBinary: boolean, party: Party = ws.getUserData()): void {
    party.heard++;
    if (data.byteLength > this.options.maxMessageBytes) {
      this.reject(ws, new GatewayError('E_MESSAGE_TOO_LARGE', `messages are limited to ${this.options.maxMessageBytes} bytes`), true);
      return;
    }
    if (party.phase === 'paired') {
      if (isBinary) return forward(this, this.counters, ws, party, data);
      const credit = exactCreditBytes(data instanceof Uint8Array ? data : new Uint8Array(data));
      if (credit >= 0) return this.credited(party, credit);
    }
    if (party.phase === 'bridged') {
      carry(this, ws, party, data, isBinary);
      return;
    }
    if (isBinary) {
      this.reject(ws, new GatewayError('E_BAD_MESSAGE', 'binary messages are accepted only once the session is paired'), false);
      return;
    }
    let msg: ClientMessage;
    try {
      msg = parseClientMessage(messageText(data));
    } catch (err) {
      // Before the handshake a bad first message ends the connection; afterwards it costs only an error frame.
      this.reject(ws, asGatewayError(err), party.phase === 'hello');
      return;
    }
    switch (party.phase) {
      case 'hello':
        this.greeting.delete(ws);
        return this.hello(ws, party, msg);
      case 'pending':
        this.reject(ws, new GatewayError('E_BAD_MESSAGE', 'wait for the "state" message before sending more'), false);
        return;
      case 'waiting':
        if (msg.type === 'end') this.endSession(party.session!, 'customer_ended');
        else this.reject(ws, new GatewayError('E_BAD_MESSAGE', 'no technician has joined yet'), false);
        return;
      case 'paired':
        control(this, ws, party, msg);
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
    if (!party.remote) metricChild(this.deps.metrics.connections, party.role).dec();
    const phase = party.phase;
    party.phase = 'closed';
    this.partyLeft(party, ws, phase, party.leaving ?? leftReason(party.role));
  }

  /** Called once a second: expiry, idle and resume timeouts, hello timeout, screen repairs, registry refresh. */
  tick(): void {
    const now = this.deps.now();
    for (const ws of this.greeting) {
      if (now - ws.getUserData().connectedAt > this.options.helloTimeoutMs) {
        this.greeting.delete(ws);
        this.reject(ws, new GatewayError('E_BAD_REQUEST', `no first message within ${this.options.helloTimeoutMs} ms`), true);
      }
    }
    const live: string[] = [];
    let waiting = 0;
    let active = 0;
    let suspended = 0;
    for (const session of [...this.sessions.values()]) {
      const away = session.suspendedSince;
      if (!session.everPaired) {
        const customer = session.customer;
        if (session.expiresAt <= now) this.expire(session);
        else if (customer && customer.conn === null && now - (customer.lostAt ?? now) > this.options.resumeGraceMs) this.endSession(session, 'customer_left');
        else waiting++;
        continue;
      }
      if (away !== null) {
        if (now - away > this.options.resumeGraceMs) this.giveUpOn(session);
        else (suspended++, live.push(session.guid));
        continue;
      }
      if (session.relayedSinceTick) {
        session.relayedSinceTick = false;
        session.lastActivity = now;
      }
      if (now - session.lastActivity > this.options.idleTimeoutMs) {
        this.endSession(session, 'idle_timeout');
        continue;
      }
      if (session.pairedAt !== null && now >= sessionDeadline(session.policy, session.pairedAt)) {
        this.endSession(session, 'time_limit');
        continue;
      }
      // A technician away too long (while others go on) loses its place; the session continues.
      for (const p of session.technicians()) {
        if (p.conn === null && p.lostAt !== null && now - p.lostAt > this.options.resumeGraceMs) this.removeParticipant(session, p.id, 'resume_timeout');
      }
      session.screen?.tick(now);
      active++;
      live.push(session.guid);
    }
    this.deps.metrics.liveSessions.set({ state: 'waiting' }, waiting);
    this.deps.metrics.liveSessions.set({ state: 'active' }, active);
    this.deps.metrics.liveSessions.set({ state: 'suspended' }, suspended);
    if (now - this.lastTokenCheck >= TOKEN_RECHECK_MS) {
      this.lastTokenCheck = now;
      this.recheckTokens();
    }
    if (now - this.lastTouch >= TOUCH_EVERY_MS && live.length > 0) {
      this.lastTouch = now;
      this.background(this.deps.registry.touchSessions(live, this.options.activeTtlMs));
    }
  }

  /**
   * Ends a session at an operator's or technician's request (HTTP DELETE), wherever it runs: here, or at its
   * anchor over the gateway link. False if no gateway runs it (the registry change alone then covers it).
   */
  async revoke(record: SessionRecord): Promise<boolean> {
    const session = this.sessions.get(record.guid);
    if (session) {
      this.endSession(session, 'revoked');
      return true;
    }
    return commandAnchor(this, record, { kind: 'end', reason: 'revoked' });
  }

  /** A technician's access ended (disabled, password reset, tokens revoked): it leaves every session, on every gateway. */
  async endTechnician(technicianId: string, everywhere = true): Promise<void> {
    this.endParticipation((p) => p.technicianId === technicianId);
    if (everywhere) await commandEveryGateway(this, { kind: 'end_technician', technicianId });
  }

  /** A bearer token was logged out: the sessions its technician joined with it end for that technician, everywhere. */
  async endToken(tokenId: string, everywhere = true): Promise<void> {
    this.endParticipation((p) => p.tokenId === tokenId);
    if (everywhere) await commandEveryGateway(this, { kind: 'end_token', tokenId });
  }

  /**
   * Removes matching technicians from the sessions this gateway runs (connected here, over a link, or away:
   * their resume token stops working with them). Their connection is closed with E_TOKEN_INVALID.
   */
  private endParticipation(matches: (p: Participant) => boolean): void {
    for (const session of [...this.sessions.values()]) {
      for (const p of session.technicians()) if (matches(p)) this.removeParticipant(session, p.id, 'access_revoked');
    }
  }

  /**
   * Every TOKEN_RECHECK_MS: technicians in our sessions whose token no longer checks out (logged out elsewhere,
   * expired, account disabled or its tokens revoked by the admin CLI, another process) lose their place.
   */
  private recheckTokens(): void {
    for (const session of this.sessions.values()) {
      for (const p of session.technicians()) {
        if (!p.tokenId) continue;
        const tokenId = p.tokenId;
        this.deps.authenticateTokenId(tokenId).then(
          () => {},
          (err: unknown) => {
            // Only a definite "no": a registry outage must not throw technicians out.
            if (asGatewayError(err).code === 'E_TOKEN_INVALID') this.endParticipation((q) => q.tokenId === tokenId);
          },
        );
      }
    }
  }

  /** SIGTERM, first step: ask every party to reconnect (to another gateway, or to this one when it is back). */
  announceShutdown(): void {
    const notice = encodeServerMessage({ v: 1, type: 'reconnect', reason: 'gateway_shutdown' });
    for (const ws of this.sockets) this.outbox.notice(ws, notice);
  }

  /**
   * SIGTERM, last step: close what is still connected. Live sessions stay in the registry, so their
   * participants resume on another gateway, which takes them over (this one is marked draining).
   */
  closeAll(): void {
    this.shuttingDown = true;
    for (const ws of [...this.sockets]) this.closeParty(ws, errorCodes.E_SHUTTING_DOWN.close, 'E_SHUTTING_DOWN', 'gateway_shutdown');
    this.recordings.stopAll();
    this.sessions.clear();
    this.outbox.flush();
  }

  // ---- handshakes ------------------------------------------------------------------------------------

  private hello(ws: PartySocket, party: Party, msg: ClientMessage): void {
    if (msg.type === 'resume') void resume(this, ws, party, msg);
    else if (party.role === 'customer' && msg.type === 'join') void join(this, ws, party, msg);
    else if (party.role === 'technician' && (msg.type === 'pickup' || msg.type === 'attend')) void pickup(this, ws, party, msg);
    else {
      const allowed = party.role === 'customer' ? '"join" or "resume"' : '"pickup", "attend" or "resume"';
      this.reject(ws, new GatewayError('E_BAD_MESSAGE', `the first message of a ${party.role} must be ${allowed}`), true);
    }
  }

  openSession(record: SessionRecord): LiveSession {
    const session = new LiveSession(record.guid, record.orgId, record.customerName ?? '', record.expiresAt, this.deps.now(), this.bus, this.deps.now);
    this.sessions.set(record.guid, session);
    return session;
  }

  bulkOf(session: LiveSession): BulkCredit {
    let credit = this.bulk.get(session);
    if (!credit) {
      credit = new BulkCredit(this.options.bulkWindowBytes, (senderId, bytes) => {
        const conn = session.participants.get(senderId)?.conn;
        if (conn) this.sendControl(conn, { v: 1, type: 'credit', bytes });
      });
      this.bulk.set(session, credit);
    }
    return credit;
  }

  filesOf(session: LiveSession): FileOffers {
    let files = this.files.get(session);
    if (!files) this.files.set(session, (files = new FileOffers()));
    return files;
  }

  place(session: LiveSession, ws: PartySocket, party: Party, placement: Placement): void {
    place(this, session, ws, party, placement);
  }

  bridge(ws: PartySocket, party: Party, peer: GatewayRecord, request: OpenRequest): Promise<void> {
    return bridge(this, ws, party, peer, request);
  }

  /** Anchor side of a bridge, or a command from another gateway (cluster/anchor.ts). */
  attachRemote(stream: LinkStream, request: OpenRequest): Promise<void> {
    return acceptRemote(this, stream, request);
  }

  /** A command from another gateway, run here because this gateway is the anchor (or may hold the technician). */
  async runCommand(request: OpenRequest): Promise<void> {
    const command = request.command;
    if (command?.kind === 'end') {
      const session = this.sessions.get(request.guid);
      if (session && session.orgId === request.orgId) this.endSession(session, command.reason);
    } else if (command?.kind === 'end_technician') {
      await this.endTechnician(command.technicianId, false);
    } else if (command?.kind === 'end_token') {
      await this.endToken(command.tokenId, false);
    }
  }

  // ---- endings ------------------------------------------------------------------------------------------

  /**
   * What a party's departure means, whether it hung up or the gateway closed it: a participant that lost its
   * connection is away for resumeGraceMs (the others are told); a technician that left on purpose (or broke the
   * protocol) loses its place, and the session goes on while a technician remains; a customer that left ends it.
   * Runs once per party: it detaches the party first.
   */
  private partyLeft(party: Party, ws: PartySocket, phaseBefore: Party['phase'], reason: CloseReason): void {
    if (party.bridge) {
      // Tell the anchor why, so its side of the session treats the departure the same way.
      party.bridge.close(closeCodeFor(reason).code, reason);
      party.bridge = undefined;
    }
    const session = party.session;
    party.session = null;
    const id = party.participantId;
    if (!session || this.sessions.get(session.guid) !== session || !id || session.participants.get(id)?.conn !== ws) return;
    if (this.shuttingDown) return; // the session stays in the registry for another gateway to take over
    // The recorder stopping (asked to, failed, too slow) never ends the session (gateway/src/recording/).
    if (party.system) {
      this.removeParticipant(session, id, reason);
      return;
    }
    if (isDisconnect(reason) && this.options.resumeGraceMs > 0 && (session.everPaired || phaseBefore === 'waiting')) {
      session.apply({ kind: 'lost', id });
      return;
    }
    if (party.role === 'technician' && session.everPaired && session.technicians().length > 1) {
      this.removeParticipant(session, id, reason);
      return;
    }
    this.endSession(session, reason);
  }

  private removeParticipant(session: LiveSession, id: string, reason: CloseReason): void {
    const p = session.participants.get(id);
    if (!p || this.sessions.get(session.guid) !== session) return;
    this.bulkOf(session).forget(id);
    session.apply({ kind: 'remove', id, reason });
    if (p.conn && !isGone(p.conn.getUserData())) {
      p.conn.getUserData().session = null;
      const code = closeCodeFor(reason);
      this.closeParty(p.conn, code.code, code.text, reason);
    }
    if (session.technicians().length === 0 && session.everPaired) this.endSession(session, reason);
  }

  /**
   * A suspended session whose participant did not come back. If another gateway has taken it over meanwhile
   * (the participant resumed there), it is no longer ours to end: just forget it here.
   */
  private giveUpOn(session: LiveSession): void {
    if (this.sessions.get(session.guid) !== session) return;
    this.sessions.delete(session.guid); // not again at the next tick while we look
    this.deps.registry.getSession(session.guid).then(
      (record) => {
        if (record?.state === 'active' && record.anchorGateway !== this.options.gatewayId) {
          for (const p of session.participants.values()) if (p.conn) this.closeParty(p.conn, errorCodes.E_RECONNECT.close, 'E_RECONNECT');
        } else {
          this.sessions.set(session.guid, session);
          this.endSession(session, 'resume_timeout');
        }
      },
      // Registry down: end it locally (the record expires by its TTL), rather than keep waiting forever.
      () => {
        this.sessions.set(session.guid, session);
        this.endSession(session, 'resume_timeout');
      },
    );
  }

  private expire(session: LiveSession): void {
    this.sessions.delete(session.guid);
    session.apply({ kind: 'end', reason: 'expired' });
    this.background(this.deps.lifecycle.transition(session.guid, 'expired', { reason: 'expired', from: ['waiting'] }));
    const customer = session.customer?.conn;
    if (customer) {
      this.send(customer, { v: 1, type: 'state', state: 'expired', guid: session.guid, reason: 'expired' });
      this.closeParty(customer, errorCodes.E_SESSION_EXPIRED.close, 'E_SESSION_EXPIRED');
    }
  }

  /**
   * Ends a session for everyone: records the transition, tells each remaining participant why, and closes it.
   * Whoever caused it (the party that left) is already gone; the others get a close code that says what happened.
   */
  endSession(session: LiveSession, reason: CloseReason): void {
    if (this.sessions.get(session.guid) !== session) return;
    this.sessions.delete(session.guid);
    session.apply({ kind: 'end', reason });
    this.background(this.deps.lifecycle.transition(session.guid, 'closed', { reason, from: ['waiting', 'active'] }));
    const code = closeCodeFor(reason);
    for (const p of session.participants.values()) {
      const ws = p.conn;
      if (!ws || isGone(ws.getUserData())) continue;
      this.send(ws, { v: 1, type: 'state', state: 'closed', guid: session.guid, reason });
      this.closeParty(ws, code.code, code.text, reason);
    }
  }

  slowConsumer(slow: PartySocket): void {
    const party = slow.getUserData();
    if (isGone(party)) return;
    this.counters.dropped.slow_consumer.inc();
    this.deps.log.warn('relay.slow_consumer', { guid: party.session?.guid, role: party.role, participant: party.participantId, queuedBytes: party.writer?.queuedBytes });
    // Only a close code for the slow side (its queue is full, so a state frame would not get through);
    // the others are told through partyLeft.
    this.closeParty(slow, errorCodes.E_SLOW_CONSUMER.close, 'E_SLOW_CONSUMER', 'slow_consumer');
  }

  // ---- sending ------------------------------------------------------------------------------------------

  /** A queued write that was not written (outbox flush): metrics, and uWS's own hard limit. */
  private delivered(entry: Extract<OutboxEntry, { kind: 'deliver' }>, outcome: 'overflow' | 'gone'): void {
    switch (outcome) {
      case 'gone':
        this.counters.dropped.no_peer.inc();
        return;
      case 'overflow':
        this.slowConsumer(entry.ws);
        return;
    }
  }

  sendControl(ws: PartySocket, msg: ServerMessage): void {
    ws.getUserData().writer?.write(encodeServerMessage(msg), false, 'control', CONTROL_TAG);
  }

  answer(ws: PartySocket, msg: ServerMessage): void {
    if (ws.getUserData().phase !== 'closed') this.outbox.noticeFirst(ws, encodeServerMessage(msg));
  }

  send(ws: PartySocket, msg: ServerMessage): void {
    if (ws.getUserData().phase !== 'closed') this.outbox.notice(ws, encodeServerMessage(msg));
  }

  reject(ws: PartySocket, err: GatewayError, close: boolean): void {
    this.deps.metrics.rejected.inc({ code: err.code });
    if (err.code === 'E_INTERNAL') this.deps.log.error('relay.internal_error', { err });
    const party = ws.getUserData();
    if (isGone(party)) return;
    this.send(ws, { v: 1, type: 'error', code: err.code, message: err.message, url: err.url, form: err.form });
    if (close) {
      if (party.phase === 'pending') party.phase = 'hello'; // nothing was joined; let onClose do plain bookkeeping
      // A party closed for breaking the protocol may not resume: its place (or session) ends.
      this.closeParty(ws, err.closeCode, err.code, 'protocol_error');
    }
  }

  /** Queues a close; the party's session feels it now (partyLeft), not when the close is written. */
  closeParty(ws: PartySocket, code: number, text: string, reason?: CloseReason): void {
    const party = ws.getUserData();
    if (isGone(party)) return;
    const phase = party.phase;
    party.phase = 'closing';
    this.partyLeft(party, ws, phase, reason ?? leftReason(party.role));
    this.outbox.close(ws, code, text);
  }

  background(work: Promise<unknown>): void {
    work.catch((err) => this.deps.log.warn('registry.background_write_failed', { err }));
  }
}

const leftReason = (role: Party['role']): CloseReason => (role === 'customer' ? 'customer_left' : 'technician_left');

function logEvent(deps: RelayDeps, e: LiveEvent): void {
  if (!deps.log.enabled('info')) return; // the fields below cost ~30 µs per pairing even when nobody writes them
  const { participant, by, ...rest } = e as LiveEvent & { participant?: { id: string; role: string }; by?: { id: string } };
  deps.log.info(`session.${e.type}`, { ...rest, participant: participant?.id, role: participant?.role, by: by?.id });
}
