import { Emitter } from '../emitter.js';
import type { DirectPath, PathKind, SendResult } from './direct-path.js';
import type { PathChangeReason } from '../../../../protocol/path-signal.js';
import type { SignalChannel } from './signal-channel.js';
import { PathJudge, type JudgeThresholds } from './path-judge.js';
import { RelayRtt } from './relay-rtt.js';

/** A path's close reason (free text from the transport) as the closed list the metrics use. */
function reasonLabel(reason: string): PathChangeReason {
  if (reason.startsWith('keepalive')) return 'keepalive_timeout';
  if (reason.startsWith('bad input')) return 'bad_input';
  if (reason.startsWith('ICE')) return 'ice_failed';
  return 'closed';
}

/**
 * Carries a session's binary channels over whichever path is best right now (the relay, or a direct path),
 * and moves between them without losing or repeating a reliable message. Every reliable message (input,
 * file, data) carries an end-to-end sequence number right after its channel byte (so the relay still sees
 * the channel and enforces grants); the receiver delivers each number once and in order and acknowledges
 * cumulatively. On a move, and on falling back to the relay when a direct path dies, the sender sends every
 * unacknowledged message again on the new path; the receiver drops what it already had. Media (screen,
 * cursor) carry no number: a lost packet is the screen module's business, repaired by a keyframe.
 *
 * Numbering is agreed first, so a peer without this layer (the web console; any party under `relayOnly`, where
 * the gateway refuses signals) keeps getting plain messages: each end says `{"topic":"seq","step":"able"}`
 * when it starts, and numbers its reliable messages once it has heard the peer's `able` (or moves onto a
 * direct path, which only a peer with this layer uses), after first saying `{"topic":"seq","step":"start"}`.
 * The relay keeps one sender's signals and messages in order, so the receiver reads the peer's reliable
 * relay messages as numbered from that `start` on, and as plain before it; direct paths are always numbered.
 *
 * This is the path layer of the session-core design (issue 9 extends the chat sequence numbers to every
 * reliable channel): once the core carries sequence numbers itself, this class keeps only the moves.
 */
export type SessionPathsEvents = {
  /** A message for the application: channel and payload (sequence number removed). */
  message: [number, Uint8Array];
  /** The path in use changed (to a direct path, or back to the relay). */
  path: [{ kind: PathKind; description: string }];
  /**
   * A direct path died, or was judged no longer better than the relay (reason 'loss' / 'worse than relay',
   * or 'peer: …' when the peer judged it), and the session went back to the relay; `ms` from the path's
   * death (or the verdict) to the resend.
   */
  fallback: [{ from: PathKind; reason: string; ms: number }];
};

export interface RelayCarrier {
  send(channel: number, payload: Uint8Array): void;
  /** Bulk channels (file, data) go within the gateway's credit (SessionConnection.sendBulk). */
  sendBulk(framed: Uint8Array): Promise<void>;
  on(event: 'data', handler: (channel: number, payload: Uint8Array) => void): () => void;
}

/** Bulk channels on the relay: credit flow-controlled end to end by the gateway (protocol/channels.ts). */
const BULK = new Set([0x03, 0x04]);

/**
 * The reliable channels this layer numbers (protocol/channels.ts: input, data). File chunks (0x03) are not
 * among them: FileTransfers sends them straight on the session, so they stay on the relay where the gateway
 * checks each against its accepted offer (the offer id must follow the channel byte there). The layer passes
 * them through untouched.
 */
const RELIABLE = new Set([0x02, 0x04]);
/** Cumulative acknowledgements on a direct path: a channel number the relay never sees. */
const ACK_CHANNEL = 0x7f;
const ACK_EVERY = 32;
const ACK_DELAY_MS = 40;
/** Out-of-order messages kept while a gap fills (a move's resend fills it within one round trip). */
const MAX_REORDER = 4096;
/** Unacknowledged data kept for resending; past it send() says 'queued' so the caller slows down. */
const UNACKED_SOFT_LIMIT = 8 << 20;

/**
 * Consent on direct paths: the gateway enforces grants only on what it relays. `mayReceive` is the customer
 * side's check of its own grants (the agent enforces consent on a direct path); `maySend` keeps a party from
 * numbering a message the gateway would refuse (a refused numbered message would leave a gap for ever).
 */
export interface SessionPathsConsent {
  maySend?: (channel: number) => boolean;
  mayReceive?: (channel: number) => boolean;
}

/** How often a direct path in use is judged against the relay (path-judge.ts). */
const JUDGE_EVERY_MS = 1000;
/** After a judged fallback the old path stays open (read, not written) this long, for what the peer still sends on it. */
const DRAIN_MS = 2000;
/** Reasons a party leaves a path that still works; the peer, told over the relay, leaves it too. */
const JUDGED: Record<string, string> = { loss: 'loss', worse_than_relay: 'worse than relay' };

export interface SessionPathsOptions {
  /** Thresholds of the path judge; false: a direct path is kept until it dies. */
  judge?: Partial<JudgeThresholds> | false;
}

interface Pending {
  seq: number;
  channel: number;
  framed: Uint8Array;
}

export class SessionPaths extends Emitter<SessionPathsEvents> {
  private path: DirectPath | null = null;
  private nextSeq = 1;
  private readonly unacked: Pending[] = [];
  private unackedBytes = 0;
  private expected = 1;
  private readonly early = new Map<number, { channel: number; payload: Uint8Array; allowed: boolean }>();
  /** Messages a direct path brought on a channel the customer had not granted (dropped): a metric. */
  refusedOnDirectPath = 0;
  private sinceAck = 0;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly stopRelay: () => void;
  private readonly stopSignals: () => void;
  /** Duplicates dropped (messages that came on two paths around a move): a metric, and the tests' proof. */
  duplicatesDropped = 0;
  /** We number our reliable messages (the peer said it can, or we are on a direct path). */
  private numbering = false;
  /** The peer numbers its reliable messages on the relay (its `start` came). */
  private peerNumbers = false;
  private readonly relayRtt: RelayRtt;
  private judgeTimer: ReturnType<typeof setInterval> | undefined;
  /** Paths left on a verdict, still read until DRAIN_MS is over (closed with the session too). */
  private readonly draining = new Set<DirectPath>();

  constructor(
    private readonly relay: RelayCarrier,
    private readonly signals: SignalChannel,
    private readonly consent: SessionPathsConsent = {},
    private readonly options: SessionPathsOptions = {},
  ) {
    super();
    this.relayRtt = new RelayRtt(signals);
    this.stopRelay = relay.on('data', (channel, payload) => this.receive(channel, payload));
    // Over the relay, acknowledgements travel as signals (a binary ack channel would be refused there).
    this.stopSignals = signals.onSignal((data) => {
      const d = data as { topic?: unknown; seq?: unknown; step?: unknown } | undefined;
      if (d?.topic === 'ack' && Number.isSafeInteger(d.seq)) this.acknowledged(d.seq as number);
      if (d?.topic === 'path') this.pathSignal(d as { step?: unknown; path?: unknown; reason?: unknown; t?: unknown });
      if (d?.topic === 'seq' && (d.step === 'able' || d.step === 'start')) {
        if (d.step === 'start') this.peerNumbers = true;
        this.startNumbering();
      }
    });
    signals.send({ topic: 'seq', step: 'able' });
  }

  /** True once both ends number their reliable messages on the relay (a peer with this layer is there). */
  get numbered(): boolean {
    return this.numbering && this.peerNumbers;
  }

  private startNumbering(): void {
    if (this.numbering) return;
    this.numbering = true;
    this.signals.send({ topic: 'seq', step: 'start' });
  }

  get kind(): PathKind {
    return this.path?.kind ?? 'relay';
  }

  get rttMs(): number | undefined {
    return this.path?.rttMs;
  }

  /** Bytes the direct path holds unsent (0 on the relay: the session's own bufferedAmount counts there). */
  get bufferedAmount(): number {
    return this.path?.bufferedAmount ?? 0;
  }

  /** Sends on the current path. Reliable channels are numbered and kept until acknowledged. */
  send(channel: number, payload: Uint8Array): SendResult {
    if (this.consent.maySend && !this.consent.maySend(channel)) return 'dropped';
    if (!RELIABLE.has(channel)) return this.transmit(channel, payload);
    if (!this.numbering) return this.transmit(channel, payload); // a peer without the layer, so far: plain
    const seq = this.nextSeq++;
    const framed = new Uint8Array(payload.length + 4);
    new DataView(framed.buffer).setUint32(0, seq);
    framed.set(payload, 4);
    this.unacked.push({ seq, channel, framed });
    this.unackedBytes += framed.length;
    const result = this.transmit(channel, framed);
    return result === 'sent' && this.unackedBytes > UNACKED_SOFT_LIMIT ? 'queued' : result === 'dropped' ? 'queued' : result;
  }

  /** Moves the session onto a direct path (what negotiatePath found). */
  use(path: DirectPath): void {
    this.startNumbering();
    const previous = this.path;
    this.path = path;
    path.onMessage((channel, payload) => (channel === ACK_CHANNEL ? this.ackFrom(payload) : this.receive(channel, payload, true)));
    path.onClose((reason) => this.fallBack(path, reasonLabel(reason), reason));
    previous?.close('moved');
    this.resendUnacked();
    this.signals.send({ topic: 'path', step: 'using', path: path.kind, reason: 'found' });
    this.emit('path', { kind: path.kind, description: path.description });
    this.startJudging(path);
  }

  /** Back to the relay from `path` (if still in use): resend what is unacknowledged, say so, emit `fallback`. */
  private fallBack(path: DirectPath, label: PathChangeReason, reason: string): void {
    if (this.path !== path) return;
    const died = performance.now();
    this.path = null;
    this.stopJudging();
    this.resendUnacked();
    this.emit('path', { kind: 'relay', description: 'gateway relay' });
    this.signals.send({ topic: 'path', step: 'using', path: 'relay', reason: label });
    this.emit('fallback', { from: path.kind, reason, ms: Math.round(performance.now() - died) });
  }

  /**
   * A working path judged worse than the relay: we stop sending on it at once, and the peer, told by our
   * `using relay` announcement with the judged reason, leaves it too (so its announcement, the one the
   * gateway's metrics count when it is the technician's, carries the same reason). The path stays open and
   * read for DRAIN_MS, for what the peer sent on it before it heard; sequence numbers drop the duplicates.
   * Not retried in this session: a path found worse once is likely to be worse again.
   */
  private leave(path: DirectPath, label: 'loss' | 'worse_than_relay', reason: string): void {
    if (this.path !== path) return;
    this.fallBack(path, label, reason);
    this.draining.add(path);
    setTimeout(() => {
      this.draining.delete(path);
      path.close(reason);
    }, DRAIN_MS).unref?.();
  }

  private startJudging(path: DirectPath): void {
    this.stopJudging();
    if (this.options.judge === false || !path.quality) return;
    const judge = new PathJudge(this.options.judge);
    this.relayRtt.start();
    this.judgeTimer = setInterval(() => {
      const verdict = judge.judge(path.quality!(), this.relayRtt.snapshot());
      if (verdict !== 'keep') this.leave(path, verdict, JUDGED[verdict]!);
    }, JUDGE_EVERY_MS);
    this.judgeTimer.unref?.();
  }

  private stopJudging(): void {
    clearInterval(this.judgeTimer);
    this.judgeTimer = undefined;
    this.relayRtt.stop();
  }

  /** The peer's path signals this layer reads: the relay's ping and pong, and a peer that judged our path worse. */
  private pathSignal(d: { step?: unknown; path?: unknown; reason?: unknown; t?: unknown }): void {
    if (d.step === 'ping' || d.step === 'pong') return this.relayRtt.signal(d);
    const label = d.reason === 'loss' || d.reason === 'worse_than_relay' ? d.reason : undefined;
    if (d.step === 'using' && d.path === 'relay' && label && this.path) this.leave(this.path, label, `peer: ${JUDGED[label]}`);
  }

  /** Back to the relay on purpose (policy, or a better path is gone). */
  useRelay(reason = 'requested'): void {
    const path = this.path;
    this.path = null;
    this.stopJudging();
    path?.close(reason);
    this.resendUnacked();
    this.signals.send({ topic: 'path', step: 'using', path: 'relay', reason: reason === 'policy' ? 'policy' : 'requested' });
    this.emit('path', { kind: 'relay', description: 'gateway relay' });
  }

  close(): void {
    clearTimeout(this.ackTimer);
    this.stopJudging();
    this.stopRelay();
    this.stopSignals();
    this.path?.close('session closed');
    this.path = null;
    for (const p of this.draining) p.close('session closed');
    this.draining.clear();
  }

  private transmit(channel: number, bytes: Uint8Array): SendResult {
    if (this.path) {
      const r = this.path.send(channel, bytes);
      if (r !== 'dropped') return r;
    }
    if (BULK.has(channel)) {
      const framed = new Uint8Array(bytes.length + 1);
      framed[0] = channel;
      framed.set(bytes, 1);
      void this.relay.sendBulk(framed);
    } else this.relay.send(channel, bytes);
    return 'sent';
  }

  private resendUnacked(): void {
    for (const p of this.unacked) this.transmit(p.channel, p.framed);
  }

  private receive(channel: number, payload: Uint8Array, direct = false): void {
    // Not granted: counted as received (the sender's number is used up) but never delivered.
    const allowed = !direct || !this.consent.mayReceive || this.consent.mayReceive(channel);
    if (!RELIABLE.has(channel)) return void (allowed && this.emit('message', channel, payload));
    if (!direct && !this.peerNumbers) return void this.emit('message', channel, payload); // plain, before its `start`
    if (payload.length < 4) return; // not from a SessionPaths peer: nothing to number it by
    const seq = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0);
    if (seq < this.expected || this.early.has(seq)) {
      this.duplicatesDropped++;
      return this.scheduleAck();
    }
    if (seq > this.expected) {
      if (this.early.size < MAX_REORDER) this.early.set(seq, { channel, payload: payload.slice(4), allowed });
      return;
    }
    this.deliver(channel, payload.subarray(4), allowed);
    for (let next = this.early.get(this.expected); next; next = this.early.get(this.expected)) {
      this.early.delete(this.expected);
      this.deliver(next.channel, next.payload, next.allowed);
    }
    this.scheduleAck();
  }

  private deliver(channel: number, payload: Uint8Array, allowed: boolean): void {
    this.expected++;
    this.sinceAck++;
    if (allowed) this.emit('message', channel, payload);
    else this.refusedOnDirectPath++;
  }

  private scheduleAck(): void {
    if (this.sinceAck >= ACK_EVERY) return this.sendAck();
    this.ackTimer ??= setTimeout(() => this.sendAck(), ACK_DELAY_MS);
  }

  private sendAck(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.sinceAck = 0;
    const seq = this.expected - 1;
    if (this.path) {
      const ack = new Uint8Array(4);
      new DataView(ack.buffer).setUint32(0, seq);
      if (this.path.send(ACK_CHANNEL, ack) !== 'dropped') return;
    }
    this.signals.send({ topic: 'ack', seq });
  }

  private ackFrom(payload: Uint8Array): void {
    if (payload.length === 4) this.acknowledged(new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0));
  }

  private acknowledged(seq: number): void {
    let n = 0;
    while (n < this.unacked.length && this.unacked[n]!.seq <= seq) this.unackedBytes -= this.unacked[n++]!.framed.length;
    if (n) this.unacked.splice(0, n);
  }
}
