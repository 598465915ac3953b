import { Emitter } from './emitter.js';
import { RelaydeskError } from './errors.js';
import type { SocketLike } from './transport.js';

export type Power = 'view' | 'control' | 'files';
export type SessionState = 'waiting' | 'active' | 'closed' | 'expired';

/** Binary channels (first byte of a binary message); see docs/protocol.md. */
export const Channel = { screen: 0x01, input: 0x02, file: 0x03, data: 0x04 } as const;
export type ChannelId = (typeof Channel)[keyof typeof Channel];

export interface StateEvent {
  state: SessionState;
  guid: string;
  expiresAt?: number;
  customerName?: string;
  technician?: string;
  reason?: string;
}

export type SessionEvents = {
  state: [StateEvent];
  chat: [{ from: 'customer' | 'technician'; text: string; at: number }];
  /** The technician asks the customer for a power (customer side). */
  request: [Power];
  /** The powers currently granted (both sides). */
  grants: [Power[]];
  /** An error frame: the gateway refused one message; the connection may go on. */
  error: [RelaydeskError];
  /** A binary message: channel id and the payload after the channel byte. */
  data: [number, Uint8Array];
  reconnect: [string];
  close: [{ code: number; reason: string }];
};

/**
 * One party's connection to a session (customer or technician). Created by RelaydeskClient; resolves
 * once the gateway has answered the join/pickup with a state, rejects with the gateway's error otherwise.
 */
export class SessionConnection extends Emitter<SessionEvents> {
  state: SessionState | 'connecting' = 'connecting';
  guid = '';
  grants: Power[] = [];
  private closed: { code: number; reason: string } | null = null;

  constructor(private readonly socket: SocketLike) {
    super();
    socket.binaryType = 'arraybuffer';
    socket.onmessage = (ev) => this.onMessage(ev.data);
    socket.onclose = (ev) => {
      this.closed = { code: ev.code, reason: ev.reason };
      if (this.state !== 'expired') this.state = 'closed';
      this.emit('close', this.closed);
    };
    socket.onerror = () => {};
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
      ];
      const cleanup = () => {
        clearTimeout(timer);
        offs.forEach((off) => off());
      };
      const done = () => {
        cleanup();
        resolve(this);
      };
      const fail = (e: RelaydeskError) => {
        cleanup();
        this.socket.close();
        reject(e);
      };
      const send = () => this.socket.send(JSON.stringify({ v: 1, ...hello }));
      if (this.socket.readyState === 1) send();
      else this.socket.onopen = send;
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

  /** Resolves with the close code and reason once the connection is closed. */
  closedPromise(): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve) => {
      const off = this.on('close', (c) => {
        off();
        resolve(c);
      });
    });
  }

  chat(text: string): void {
    this.sendControl({ type: 'chat', text });
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
    this.socket.send(framed);
  }

  /** Sends a buffer whose first byte is already the channel id. */
  sendRaw(framed: Uint8Array): void {
    this.socket.send(framed);
  }

  /** Sends any text frame as is (tests use it to send malformed control messages). */
  sendText(text: string): void {
    this.socket.send(text);
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  close(code = 1000, reason = ''): void {
    this.socket.close(code, reason);
  }

  private sendControl(msg: object): void {
    this.socket.send(JSON.stringify({ v: 1, ...msg }));
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
    switch (msg.type) {
      case 'state': {
        const e = msg as unknown as StateEvent;
        this.state = e.state;
        this.guid = e.guid;
        this.emit('state', e);
        return;
      }
      case 'chat':
        this.emit('chat', msg as unknown as SessionEvents['chat'][0]);
        return;
      case 'request':
        this.emit('request', msg.power as Power);
        return;
      case 'grants':
        this.grants = msg.powers as Power[];
        this.emit('grants', this.grants);
        return;
      case 'error':
        this.emit('error', new RelaydeskError(String(msg.code), String(msg.message)));
        return;
      case 'reconnect':
        this.emit('reconnect', String(msg.reason));
        return;
    }
  }
}
