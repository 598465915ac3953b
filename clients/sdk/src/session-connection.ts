import { Emitter } from './emitter.js';
import { RelaydeskError } from './errors.js';
import type { SocketLike } from './transport.js';

export type Power = 'view' | 'control' | 'files';
export type SessionState = 'waiting' | 'active' | 'closed' | 'expired';
export type Role = 'customer' | 'technician';

/**
 * Binary channels (first byte of a binary message); see docs/protocol.md. Mirrors
 * gateway/src/protocol/channels.ts on purpose: the SDK runs in browsers and depends on no gateway code.
 */
export const Channel = { screen: 0x01, input: 0x02, file: 0x03, data: 0x04 } as const;
export type ChannelId = (typeof Channel)[keyof typeof Channel];

export interface StateEvent {
  state: SessionState;
  guid: string;
  expiresAt?: number;
  customerName?: string;
  technician?: string;
  reason?: string;
  resumeToken?: string;
}

export type SessionEvents = {
  state: [StateEvent];
  chat: [{ from: Role; text: string; at: number }];
  /** The technician asks the customer for a power (customer side). */
  request: [Power];
  /** The powers currently granted (both sides). */
  grants: [Power[]];
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
  /** The other party lost its connection, or is back. */
  peer: ['reconnecting' | 'back'];
  /** (customer) Send a keyframe: the viewer lost its picture when the session moved. */
  resync: [];
  /** (internal) Redirected to the gateway that runs the session during the first handshake. */
  redirect: [];
  /** Final: the session is over for this party, or could not be resumed. */
  close: [{ code: number; reason: string }];
  /** Every control message as received, before the events above (for fields and types this SDK does not model). */
  control: [Record<string, unknown>];
};

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

/** Close codes after which the session may go on: gateway gone or draining, link lost. The rest are final. */
const resumableCloseCodes = new Set([1001, 1005, 1006, 1011, 1012, 1013, 4503]);
const ACK_DELAY_MS = 100;

/**
 * One party's connection to a session (customer or technician). Created by RelaydeskClient; resolves once
 * the gateway has answered the join/pickup with a state, rejects with the gateway's error otherwise.
 *
 * After a lost connection it resumes by itself (any gateway of the cluster, jittered backoff, the resume token
 * it got at pairing). Chat is numbered end to end: each side acknowledges what it received and keeps what it
 * sent until acknowledged, replaying it after a resume, and drops what it already has, so nothing is lost or
 * shown twice even when a gateway dies.
 */
export class SessionConnection extends Emitter<SessionEvents> {
  state: SessionState | 'connecting' = 'connecting';
  guid = '';
  grants: Power[] = [];
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
  private receivedSeq = 0;
  private unacked: { seq: number; text: string }[] = [];
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  /** The receivedSeq at which we last asked for a replay because of a gap (so we ask once per gap). */
  private gapRequested = -1;
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

  /** Sends a buffer whose first byte is already the channel id. Dropped while reconnecting. */
  sendRaw(framed: Uint8Array): void {
    if (this.socket.readyState === 1) this.socket.send(framed);
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
      else this.sendWhenOpen(this.socket, { v: 1, ...(this.state === 'active' ? { type: 'resume', guid: this.guid, token: this.resumeToken } : this.rejoin!) });
      return;
    }
    const resumable =
      !this.userClosed &&
      this.reconnect.enabled &&
      (resumableCloseCodes.has(code) || this.moving) &&
      ((this.state === 'active' && this.resumeToken !== null) || (this.state === 'waiting' && this.rejoin !== null));
    if (!resumable) return this.finish(code, reason);
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
      const hello = this.state === 'active' ? { type: 'resume', guid: this.guid, token: this.resumeToken } : this.rejoin!;
      this.socket = this.bind(this.open(attempt));
      this.sendWhenOpen(this.socket, { v: 1, ...hello });
    }, delay);
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
  private pathRestored(): void {
    for (const m of this.unacked) this.sendControl({ type: 'chat', text: m.text, seq: m.seq });
    this.sendControl({ type: 'ack', seq: this.receivedSeq, sync: true });
  }

  private scheduleAck(): void {
    this.ackTimer ??= setTimeout(() => {
      this.ackTimer = null;
      this.sendControl({ type: 'ack', seq: this.receivedSeq });
    }, ACK_DELAY_MS);
  }

  private onMessage(data: unknown): void {
    if (typeof data !== 'string') {
      const bytes = new Uint8Array(data as ArrayBuffer);
      if (bytes.byteLength > 0) this.emit('data', bytes[0]!, bytes.subarray(1));
      return;
    }
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(data);
    } catch {
      return; // the gateway only sends JSON text; ignore anything else rather than crash a client
    }
    this.emit('control', msg);
    switch (msg.type) {
      case 'state': {
        const e = msg as unknown as StateEvent;
        const wasReconnecting = this.reconnectingSince !== null;
        if (e.resumeToken) this.resumeToken = e.resumeToken;
        this.state = e.state;
        this.guid = e.guid;
        if (wasReconnecting && (e.state === 'active' || e.state === 'waiting')) this.resumed();
        this.emit('state', e);
        return;
      }
      case 'chat': {
        const seq = msg.seq as number | undefined;
        if (seq !== undefined) {
          if (seq <= this.receivedSeq) return; // a replay of what we already have
          if (seq > this.receivedSeq + 1) {
            // A gap: an earlier line was lost (sent while we were away) and this one overtook its replay.
            // Drop it and ask for everything after what we have, once per gap, so lines arrive in order.
            if (this.gapRequested !== this.receivedSeq) {
              this.gapRequested = this.receivedSeq;
              this.sendControl({ type: 'ack', seq: this.receivedSeq, sync: true });
            }
            return;
          }
          this.receivedSeq = seq;
          this.scheduleAck();
        }
        this.emit('chat', { from: msg.from as Role, text: String(msg.text), at: Number(msg.at) });
        return;
      }
      case 'ack': {
        const seq = Number(msg.seq);
        this.unacked = this.unacked.filter((m) => m.seq > seq);
        if (msg.sync) for (const m of this.unacked) this.sendControl({ type: 'chat', text: m.text, seq: m.seq });
        return;
      }
      case 'peer':
        if (msg.state === 'back') this.pathRestored();
        this.emit('peer', msg.state as 'reconnecting' | 'back');
        return;
      case 'resync':
        this.emit('resync');
        return;
      case 'request':
        this.emit('request', msg.power as Power);
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
        this.emit('error', new RelaydeskError(String(msg.code), String(msg.message)));
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
