import { channelById, channels, type Power } from '../../../protocol/channels.js';
import { resumableCloseCodes } from '../../../protocol/error-codes.js';
import type { ParticipantInfo, PublicState, Role, ServerMessageOf, SessionPolicyView } from '../../../protocol/messages.js';
import { Emitter } from './emitter.js';
import { RelaydeskError } from './errors.js';
import type { FormField } from '../../../protocol/pre-session-form.js';
import type { SocketLike } from './transport.js';

export type { Power, Role, ParticipantInfo };
export type SessionState = PublicState;

/** Binary channels (first byte of a binary message), from the one protocol definition (protocol/channels.ts). */
export const Channel = Object.fromEntries(Object.values(channels).map((c) => [c.name, c.id])) as { [K in keyof typeof channels]: (typeof channels)[K]['id'] };
export type ChannelId = (typeof Channel)[keyof typeof Channel];

/**
 * Bulk credit is returned to the gateway once an eighth of the credit window was consumed (or after
 * CREDIT_DELAY_MS), within these bounds; until the window is known, the largest. The window is the first credit
 * of a connection (the gateway grants a whole window to each new sender, and one option sets it for everyone).
 * Fewer credit messages: at 64 KiB frames and the default 2 MiB window, one per four frames instead of one per frame.
 */
const CREDIT_BATCH_MIN = 4 * 1024;
const CREDIT_BATCH_MAX = 256 * 1024;
const CREDIT_BATCH_DEFAULT = 64 * 1024;
const CREDIT_DELAY_MS = 5;
/** What sendBulk returns for a frame handed to the socket at once. */
const SENT: Promise<void> = Promise.resolve();

/** A `state` message from the gateway (protocol/messages.ts), without the envelope fields. */
export type StateEvent = Omit<ServerMessageOf<'state'>, 'v' | 'type'>;
/** Who is in the session and who holds control. */
export type ParticipantsEvent = Omit<ServerMessageOf<'participants'>, 'v' | 'type'>;
/** A file-transfer message from the gateway (docs/protocol.md "Files"; handled by files/file-transfers.ts). */
export type FileMessage = ServerMessageOf<'file-offer' | 'file-accept' | 'file-cancel' | 'file-done' | 'file-result'> extends infer M ? (M extends unknown ? Omit<M, 'v'> : never) : never;
const fileMessageTypes = new Set(['file-offer', 'file-accept', 'file-cancel', 'file-done', 'file-result']);

export type SessionEvents = {
  state: [StateEvent];
  chat: [{ from: Role; fromId?: string; name?: string; text: string; at: number }];
  /** A technician asks the customer for a power (customer side): the power, and who asks. */
  request: [Power, { from?: string; name?: string }];
  /** Who is in the session and who holds control (sent on every change). */
  participants: [ParticipantsEvent];
  /** Bulk credit arrived: queued bulk frames are being sent (see sendBulk). */
  drain: [];
  /** A participant's signalling message (paths). */
  signal: [{ from: string; data: Record<string, unknown> }];
  /** (technicians) The customer's share state: live or paused, whole monitor or one window. */
  share: [{ state: 'live' | 'paused'; kind?: 'monitor' | 'window'; width?: number; height?: number }];
  clipboard: [{ text: string; from: string }];
  sysinfo: [Record<string, unknown>];
  /** The powers currently granted (both sides). */
  grants: [Power[]];
  /** A file offer, acceptance, cancel, completion or verdict (see FileTransfers). */
  file: [FileMessage];
  /** An error frame: the gateway refused one message; the connection may go on. */
  error: [RelaydeskError];
  /** A binary message: channel id and the payload after the channel byte. */
  data: [number, Uint8Array];
  /** The gateway is draining; the SDK reconnects by itself. */
  reconnect: [string];
  /** Our connection was lost and the SDK is resuming the session (possibly on another gateway). */
  reconnecting: [];
  /** Resumed: the session goes on; chat missed either way is replayed. */
  resumed: [];
  /** Another participant (`id`; absent: the other side) lost its connection, or is back (`newAddress`: from elsewhere). */
  peer: ['reconnecting' | 'back', { id?: string; newAddress?: boolean }];
  /** (customer) Send a keyframe: the viewer lost its picture when the session moved. */
  resync: [];
  /** (internal) Redirected to the gateway that runs the session during the first handshake. */
  redirect: [];
  /** Final: the session is over for this party, or could not be resumed. */
  close: [{ code: number; reason: string }];
  /** Recording (docs/recording.md): asked for, refused, on (the recorder joined) or off (and why). */
  recording: [RecordingEvent];
};

/** A `recording` message from the gateway, without the envelope fields. */
export type RecordingEvent = Omit<ServerMessageOf<'recording'>, 'v' | 'type'>;

export interface ReconnectOptions {
  /** Resume after a lost connection (default true). */
  enabled: boolean;
  /** Give up resuming after this long (default 30 s; the gateway keeps a session 20 s by default). */
  giveUpAfterMs: number;
  /** Backoff: base and cap of the jittered exponential delay between attempts. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultReconnect: ReconnectOptions = { enabled: true, giveUpAfterMs: 30_000, baseDelayMs: 100, maxDelayMs: 2000 };

const resumable = new Set(resumableCloseCodes);
const ACK_DELAY_MS = 100;

/**
 * One party's connection to a session (customer or technician). Created by RelaydeskClient; resolves once
 * the gateway has answered the join/pickup with a state, rejects with the gateway's error otherwise.
 *
 * After a lost connection it resumes by itself (any gateway of the cluster, jittered backoff, the resume token
 * the gateway handed it last: tokens are single use). Chat is numbered end to end: each participant
 * acknowledges what it received from each sender and keeps what it sent until every other participant
 * acknowledged it, replaying it after a resume, and drops what it already has, so nothing is lost or shown
 * twice even when a gateway dies. Bulk data (file, data channels) is sent within the credit the gateway gives
 * (`sendBulk`), and received bulk data is credited back as it is consumed.
 */
export class SessionConnection extends Emitter<SessionEvents> {
  state: SessionState | 'connecting' = 'connecting';
  guid = '';
  grants: Power[] = [];
  /** Our participant id, and everyone in the session (from the gateway's `participants` messages). */
  you = '';
  participants: ParticipantInfo[] = [];
  controller: string | null = null;
  /** What the organisation allows in this session (from the gateway's `state: active`). */
  policy: SessionPolicyView | null = null;
  /** (technicians) The customer's agent said nobody is at the machine: no prompts, only its standing grants. */
  unattended = false;
  /** Whether the gateway records the session now (from its `recording` messages). */
  recording = false;
  /** The current socket (replaced on every reconnect). */
  socket: SocketLike;
  private resumeToken: string | null = null;
  private rejoin: object | null = null;
  private final: { code: number; reason: string } | null = null;
  private userClosed = false;
  private generation = 0;
  private reconnectingSince: number | null = null;
  // End-to-end chat reliability (see the class comment).
  private sentSeq = 0;
  /** Per sender (participant id): the last of its chat lines we have. */
  private readonly receivedSeq = new Map<string, number>();
  /** Per other participant: the last of our lines it acknowledged. */
  private readonly ackedBy = new Map<string, number>();
  private unacked: { seq: number; text: string }[] = [];
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly ackDue = new Set<string>();
  /** Per sender: the receivedSeq at which we last asked for a replay because of a gap (so we ask once per gap). */
  private readonly gapRequested = new Map<string, number>();
  // Bulk flow control (see the class comment).
  private bulkCredit = 0;
  /** Credit returned in batches of this many bytes; set from the first credit of each connection. */
  private creditBatch = CREDIT_BATCH_DEFAULT;
  private windowKnown = false;
  private readonly bulkQueue: { frame: Uint8Array; done: () => void }[] = [];
  private creditOwed = 0;
  private creditTimer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  /** We closed our own socket to follow a gateway's `reconnect` notice. */
  private moving = false;
  /** Where the last E_REDIRECT sent us (the gateway that runs the session), and how often in a row. */
  private redirectTo: string | null = null;
  private redirects = 0;

  constructor(
    private readonly open: (attempt: number, redirectedTo?: string) => SocketLike,
    private readonly reconnect: ReconnectOptions = defaultReconnect,
  ) {
    super();
    this.socket = this.bind(open(0));
  }

  /** Sends the first message and waits for the gateway's first state (or its refusal). */
  handshake(hello: object, timeoutMs: number): Promise<this> {
    return new Promise((resolve, reject) => {
      let lastError: RelaydeskError | null = null;
      const timer = setTimeout(() => fail(new RelaydeskError('E_TIMEOUT', `no answer from the gateway within ${timeoutMs} ms`)), timeoutMs);
      const offs = [
        this.on('state', () => done()),
        this.on('error', (e) => (lastError = e)),
        this.on('close', (c) => fail(lastError ?? new RelaydeskError(c.reason || 'E_CLOSED', `connection closed (${c.code}) ${c.reason}`, c.code))),
        this.on('redirect', () => {
          lastError = null;
          this.sendWhenOpen(this.socket, { v: 1, ...hello });
        }),
      ];
      const cleanup = () => {
        clearTimeout(timer);
        offs.forEach((off) => off());
      };
      const done = () => {
        cleanup();
        // A customer that loses its connection while waiting joins again with the same ticket.
        if ((hello as { type?: string }).type === 'join') this.rejoin = hello;
        resolve(this);
      };
      const fail = (e: RelaydeskError) => {
        cleanup();
        this.userClosed = true;
        this.socket.close();
        reject(e);
      };
      this.sendWhenOpen(this.socket, { v: 1, ...hello });
    });
  }

  /** Resolves when the session reaches `state` (at once if it is there). */
  waitFor(state: SessionState, timeoutMs = 10_000): Promise<StateEvent | undefined> {
    if (this.state === state) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        offClose();
        reject(new RelaydeskError('E_TIMEOUT', `session did not become ${state} within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.on('state', (e) => {
        if (e.state !== state) return;
        clearTimeout(timer);
        off();
        offClose();
        resolve(e);
      });
      const offClose = this.on('close', (c) => {
        if (state === 'closed') return;
        clearTimeout(timer);
        off();
        offClose();
        reject(new RelaydeskError(c.reason || 'E_CLOSED', `connection closed (${c.code}) before the session became ${state}`, c.code));
      });
    });
  }

  /** Resolves with the final close code and reason. */
  closedPromise(): Promise<{ code: number; reason: string }> {
    if (this.final) return Promise.resolve(this.final);
    return new Promise((resolve) => {
      const off = this.on('close', (c) => {
        off();
        resolve(c);
      });
    });
  }

  /** Sends a chat line; kept until the other party acknowledges it, and replayed after a resume. */
  chat(text: string): void {
    const seq = ++this.sentSeq;
    this.unacked.push({ seq, text });
    this.sendControl({ type: 'chat', text, seq });
  }
  grant(power: Power): void {
    this.sendControl({ type: 'grant', power });
  }
  revoke(power: Power): void {
    this.sendControl({ type: 'revoke', power });
  }
  request(power: Power): void {
    this.sendControl({ type: 'request', power });
  }
  /** (technician holding control, or the customer) Gives control to another technician of the session. */
  pass(to: string): void {
    this.sendControl({ type: 'pass', to });
  }
  /** (technician) Leaves the session; it goes on while another technician is there. */
  leave(): void {
    this.userClosed = true;
    this.sendControl({ type: 'leave' });
  }
  /** Signalling for one participant (default: for a technician the customer, for the customer the controller). */
  signal(data: Record<string, unknown>, to?: string): void {
    this.sendControl({ type: 'signal', data, to });
  }
  /** (customer) Tells the technicians what is shared and whether it is paused. */
  share(state: { state: 'live' | 'paused'; kind?: 'monitor' | 'window'; width?: number; height?: number }): void {
    this.sendControl({ type: 'share', ...state });
  }
  clipboard(text: string): void {
    this.sendControl({ type: 'clipboard', text });
  }
  /** (customer) System information for the technicians, after the customer granted `sysinfo`. */
  sysinfo(info: Record<string, unknown>): void {
    this.sendControl({ type: 'sysinfo', info });
  }
  /**
   * Recording: the technician holding control asks (`request`, under the policy `on-request`) or stops it; the
   * customer answers a request (`consent` / `refuse`) or stops a recording it consented to.
   */
  recordingAction(action: 'request' | 'stop' | 'consent' | 'refuse'): void {
    this.sendControl({ type: 'recording', action });
  }
  /** A file-transfer control message (FileTransfers builds them: file-offer, file-accept, file-cancel, file-done, file-result). */
  fileControl(msg: { type: string } & Record<string, unknown>): void {
    this.sendControl(msg);
  }
  /** Ends the session for both parties. */
  end(): void {
    this.sendControl({ type: 'end' });
  }

  /**
   * Sends a binary message on `channel`. `payload` is copied behind the channel byte; use sendRaw with a
   * buffer that already starts with the channel byte to avoid that copy on hot paths.
   */
  send(channel: number, payload: Uint8Array): void {
    const framed = new Uint8Array(payload.byteLength + 1);
    framed[0] = channel;
    framed.set(payload, 1);
    this.sendRaw(framed);
  }

  /** Sends a buffer whose first byte is already the channel id. Dropped while reconnecting. Not for bulk channels: see sendBulk. */
  sendRaw(framed: Uint8Array): void {
    if (this.socket.readyState === 1) this.socket.send(framed);
  }

  /**
   * Sends a bulk frame (first byte: the file or data channel) within the gateway's credit: at once when there
   * is credit, else queued until the receivers have consumed enough. Resolves when it was handed to the socket.
   * A frame larger than the whole credit window is refused by the gateway; keep frames well below it (64 KiB).
   */
  sendBulk(framed: Uint8Array): Promise<void> {
    // Fast path, nothing waiting and credit enough: sent at once, no Promise or closure per frame (the relay
    // benchmark's generator sends every frame here; its saving was not measured apart from the other changes).
    const size = framed.byteLength - 1;
    if (this.bulkQueue.length === 0 && size <= this.bulkCredit && this.socket.readyState === 1) {
      this.bulkCredit -= size;
      this.socket.send(framed);
      return SENT;
    }
    return new Promise((resolve) => {
      this.bulkQueue.push({ frame: framed, done: resolve });
      this.pumpBulk();
    });
  }

  /** Bulk frames waiting for credit. */
  get bulkQueued(): number {
    return this.bulkQueue.length;
  }

  private pumpBulk(): void {
    while (this.bulkQueue.length > 0 && this.socket.readyState === 1) {
      const next = this.bulkQueue[0]!;
      const size = next.frame.byteLength - 1;
      if (size > this.bulkCredit) return;
      this.bulkCredit -= size;
      this.bulkQueue.shift();
      this.socket.send(next.frame);
      next.done();
    }
  }

  /** Returns credit for consumed bulk data to the gateway, batched. */
  private credit(bytes: number): void {
    this.creditOwed += bytes;
    if (this.creditOwed >= this.creditBatch) this.flushCredit();
    else this.creditTimer ??= setTimeout(() => this.flushCredit(), CREDIT_DELAY_MS);
  }

  private flushCredit(): void {
    if (this.creditTimer) clearTimeout(this.creditTimer);
    this.creditTimer = null;
    if (this.creditOwed > 0) this.sendControl({ type: 'credit', bytes: this.creditOwed });
    this.creditOwed = 0;
  }

  /** Sends any text frame as is (tests use it to send malformed control messages). */
  sendText(text: string): void {
    this.socket.send(text);
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  /** Closes this party's connection for good (no resume). To end the session for both, use end(). */
  close(code = 1000, reason = ''): void {
    this.userClosed = true;
    this.socket.close(code, reason);
  }

  // ---- connection management ----

  private bind(socket: SocketLike): SocketLike {
    const generation = ++this.generation;
    socket.binaryType = 'arraybuffer';
    socket.onmessage = (ev) => generation === this.generation && this.onMessage(ev.data);
    socket.onclose = (ev) => generation === this.generation && this.onSocketClosed(ev.code, ev.reason);
    socket.onerror = () => {};
    return socket;
  }

  private onSocketClosed(code: number, reason: string): void {
    if (this.redirectTo && !this.userClosed && this.redirects++ < 3) {
      // The session runs on another gateway that we can reach directly (redirect mode): go there at once.
      const url = this.redirectTo;
      this.redirectTo = null;
      this.socket = this.bind(this.open(this.attempt, url));
      if (this.state === 'connecting') this.emit('redirect');
      else this.sendWhenOpen(this.socket, { v: 1, ...this.comeBack() });
      return;
    }
    const canResume =
      !this.userClosed &&
      this.reconnect.enabled &&
      (resumable.has(code) || this.moving) &&
      (this.state === 'active' || this.state === 'waiting') &&
      (this.resumeToken !== null || this.rejoin !== null);
    // Whatever was in flight on the lost connection is gone; the gateway gives fresh credit on the next one.
    this.bulkCredit = 0;
    this.creditOwed = 0;
    this.windowKnown = false;
    if (!canResume) return this.finish(code, reason);
    const now = Date.now();
    if (this.reconnectingSince === null) {
      this.reconnectingSince = now;
      this.emit('reconnecting');
    }
    if (now - this.reconnectingSince > this.reconnect.giveUpAfterMs) return this.finish(code, reason);
    this.scheduleReconnect(++this.attempt);
  }

  private scheduleReconnect(attempt: number): void {
    const { baseDelayMs, maxDelayMs } = this.reconnect;
    // Full jitter on an exponential backoff: thousands of parties of a dead gateway do not come back in step.
    const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt - 1, 10)) * (0.5 + Math.random() / 2);
    setTimeout(() => {
      if (this.userClosed) return;
      this.socket = this.bind(this.open(attempt));
      this.sendWhenOpen(this.socket, { v: 1, ...this.comeBack() });
    }, delay);
  }

  /** The first message on a new connection: our resume token (single use: the gateway gives us the next), else the original join. */
  private comeBack(): object {
    return this.resumeToken !== null ? { type: 'resume', guid: this.guid, token: this.resumeToken } : this.rejoin!;
  }

  private resumed(): void {
    this.reconnectingSince = null;
    this.attempt = 0;
    this.moving = false;
    this.redirects = 0;
    this.emit('resumed');
    if (this.state === 'active') this.pathRestored();
  }

  private finish(code: number, reason: string): void {
    if (this.final) return;
    this.final = { code, reason };
    if (this.state !== 'expired') this.state = 'closed';
    if (this.ackTimer) clearTimeout(this.ackTimer);
    if (this.creditTimer) clearTimeout(this.creditTimer);
    this.emit('close', this.final);
  }

  private sendWhenOpen(socket: SocketLike, msg: object): void {
    const text = JSON.stringify(msg);
    if (socket.readyState === 1) socket.send(text);
    else socket.onopen = () => socket.send(text);
  }

  private sendControl(msg: object): void {
    // While reconnecting, chat waits in `unacked` and is replayed; other control messages are state the
    // gateway re-announces (grants) or that the user repeats, so they are not queued.
    if (this.socket.readyState === 1) this.socket.send(JSON.stringify({ v: 1, ...msg }));
  }

  /**
   * We are connected to the other party again (our resume, or it is back): replay what it has not
   * acknowledged at once, before anything new can overtake it (it drops what it already has), and tell it
   * what we have, so it can do the same.
   */
  private pathRestored(peer?: string): void {
    for (const m of this.unacked) this.sendControl({ type: 'chat', text: m.text, seq: m.seq });
    const peers = peer ? [peer] : this.others();
    for (const id of peers) this.sendControl({ type: 'ack', seq: this.receivedSeq.get(id) ?? 0, sync: true, to: id });
    if (peers.length === 0) this.sendControl({ type: 'ack', seq: 0, sync: true });
  }

  /** The other participants' ids, as the gateway last listed them. */
  private others(): string[] {
    return this.participants.filter((p) => p.id !== this.you).map((p) => p.id);
  }

  private scheduleAck(sender: string): void {
    this.ackDue.add(sender);
    this.ackTimer ??= setTimeout(() => {
      this.ackTimer = null;
      for (const id of this.ackDue) this.sendControl({ type: 'ack', seq: this.receivedSeq.get(id) ?? 0, to: id });
      this.ackDue.clear();
    }, ACK_DELAY_MS);
  }

  /** Our lines every other participant has acknowledged are no longer kept. */
  private dropAcknowledged(): void {
    const others = this.others();
    if (others.length === 0) return;
    const upTo = Math.min(...others.map((id) => this.ackedBy.get(id) ?? 0));
    this.unacked = this.unacked.filter((m) => m.seq > upTo);
  }

  private onMessage(data: unknown): void {
    if (typeof data !== 'string') {
      const bytes = new Uint8Array(data as ArrayBuffer);
      if (bytes.byteLength === 0) return;
      this.emit('data', bytes[0]!, bytes.subarray(1));
      // Consumed once the listeners returned: give the credit back so the sender may go on.
      if (channelById[bytes[0]!]?.class === 'bulk') this.credit(bytes.byteLength - 1);
      return;
    }
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(data);
    } catch {
      return; // the gateway only sends JSON text; ignore anything else rather than crash a client
    }
    if (fileMessageTypes.has(msg.type as string)) return this.emit('file', msg as unknown as FileMessage);
    switch (msg.type) {
      case 'state': {
        const e = msg as unknown as StateEvent;
        const wasReconnecting = this.reconnectingSince !== null;
        if (e.resumeToken) this.resumeToken = e.resumeToken;
        if (e.you) this.you = e.you;
        if (e.policy) this.policy = e.policy;
        if (e.unattended) this.unattended = true;
        this.state = e.state;
        this.guid = e.guid;
        if (wasReconnecting && (e.state === 'active' || e.state === 'waiting')) this.resumed();
        this.emit('state', e);
        return;
      }
      case 'chat': {
        const seq = msg.seq as number | undefined;
        const sender = typeof msg.fromId === 'string' ? msg.fromId : String(msg.from);
        if (seq !== undefined) {
          const have = this.receivedSeq.get(sender) ?? 0;
          if (seq <= have) return; // a replay of what we already have
          if (seq > have + 1) {
            // A gap: an earlier line was lost (sent while we were away) and this one overtook its replay.
            // Drop it and ask for everything after what we have, once per gap, so lines arrive in order.
            if (this.gapRequested.get(sender) !== have) {
              this.gapRequested.set(sender, have);
              this.sendControl({ type: 'ack', seq: have, sync: true, to: typeof msg.fromId === 'string' ? sender : undefined });
            }
            return;
          }
          this.receivedSeq.set(sender, seq);
          this.scheduleAck(sender);
        }
        this.emit('chat', { from: msg.from as Role, fromId: msg.fromId as string | undefined, name: msg.name as string | undefined, text: String(msg.text), at: Number(msg.at) });
        return;
      }
      case 'ack': {
        const from = typeof msg.from === 'string' ? msg.from : '';
        const seq = Number(msg.seq);
        this.ackedBy.set(from, Math.max(this.ackedBy.get(from) ?? 0, seq));
        if (msg.sync) for (const m of this.unacked) if (m.seq > seq) this.sendControl({ type: 'chat', text: m.text, seq: m.seq });
        if (this.participants.length > 0) this.dropAcknowledged();
        else this.unacked = this.unacked.filter((m) => m.seq > seq);
        return;
      }
      case 'participants': {
        const e = msg as unknown as ParticipantsEvent;
        this.you = e.you;
        this.participants = e.list;
        this.controller = e.controller;
        this.dropAcknowledged();
        this.emit('participants', e);
        return;
      }
      case 'credit': {
        const bytes = Number(msg.bytes) || 0;
        if (!this.windowKnown && bytes > 0) {
          this.windowKnown = true;
          this.creditBatch = Math.min(CREDIT_BATCH_MAX, Math.max(CREDIT_BATCH_MIN, Math.floor(bytes / 8)));
        }
        this.bulkCredit += bytes;
        this.pumpBulk();
        this.emit('drain');
        return;
      }
      case 'signal':
        this.emit('signal', { from: String(msg.from), data: msg.data as Record<string, unknown> });
        return;
      case 'share':
        this.emit('share', msg as unknown as SessionEvents['share'][0]);
        return;
      case 'clipboard':
        this.emit('clipboard', { text: String(msg.text), from: String(msg.from) });
        return;
      case 'sysinfo':
        this.emit('sysinfo', msg.info as Record<string, unknown>);
        return;
      case 'peer': {
        const id = typeof msg.id === 'string' ? msg.id : undefined;
        if (msg.state === 'back') this.pathRestored(id);
        this.emit('peer', msg.state as 'reconnecting' | 'back', { id, newAddress: msg.newAddress === true });
        return;
      }
      case 'resync':
        this.emit('resync');
        return;
      case 'recording': {
        const e = msg as unknown as RecordingEvent;
        if (e.state === 'on') this.recording = true;
        else if (e.state === 'off') this.recording = false;
        this.emit('recording', e);
        return;
      }
      case 'request':
        this.emit('request', msg.power as Power, { from: msg.from as string | undefined, name: msg.name as string | undefined });
        return;
      case 'grants':
        this.grants = msg.powers as Power[];
        this.emit('grants', this.grants);
        return;
      case 'error':
        if (msg.code === 'E_REDIRECT' && typeof msg.url === 'string') {
          this.redirectTo = msg.url;
          return;
        }
        this.emit('error', new RelaydeskError(String(msg.code), String(msg.message), undefined, Array.isArray(msg.form) ? (msg.form as FormField[]) : undefined));
        return;
      case 'reconnect':
        this.emit('reconnect', String(msg.reason));
        // The gateway is draining: move now rather than wait for it to close us at the end of its grace period.
        if (this.reconnect.enabled && !this.userClosed) {
          this.moving = true;
          this.socket.close(1001, 'moving');
        }
        return;
    }
  }
}
