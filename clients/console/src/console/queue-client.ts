/**
 * The live queue (`wss://…/v1/queue`, docs/protocol.md): the organisation's waiting customers, pushed by
 * the gateway. Reconnects by itself after a lost connection (jittered backoff); a refused token is final.
 */
import type { QueueEntry, QueueSnapshotMessage, QueueSubscribe } from '../../../../protocol/queue-messages.js';

export type { QueueEntry };

export interface QueueSnapshot {
  /** The gateway's clock when it sent this (ms): waiting times are computed against it, not ours. */
  at: number;
  total: number;
  sessions: QueueEntry[];
  /** Our clock minus the gateway's, at arrival. */
  skewMs: number;
}

export interface QueueClientEvents {
  snapshot(s: QueueSnapshot): void;
  /** Connected (true) or reconnecting (false). */
  online(on: boolean): void;
  /** The gateway refused us for good (e.g. E_TOKEN_INVALID). */
  refused(code: string, message: string): void;
}

/** Close codes after which trying again cannot help (docs/protocol.md: auth 4401, bad request 4400…). */
const finalCloseCodes = new Set([4400, 4401, 4403, 4426]);

export class QueueClient {
  private socket: WebSocket | null = null;
  private stopped = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly token: string,
    private readonly events: QueueClientEvents,
  ) {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close(1000);
  }

  private connect(): void {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/queue`;
    const ws = new WebSocket(url);
    this.socket = ws;
    let refusal: { code: string; message: string } | null = null;
    ws.onopen = () => ws.send(JSON.stringify({ v: 1, type: 'subscribe', token: this.token } satisfies QueueSubscribe));
    ws.onmessage = (ev) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (msg.type === 'queue') {
        if (this.attempt > 0 || !this.seenOnline) this.events.online(true);
        this.seenOnline = true;
        this.attempt = 0;
        const q = msg as unknown as QueueSnapshotMessage;
        this.events.snapshot({ at: q.at, total: q.total, sessions: q.sessions ?? [], skewMs: Date.now() - q.at });
      } else if (msg.type === 'error') {
        refusal = { code: String(msg.code), message: String(msg.message) };
      }
    };
    ws.onclose = (ev) => {
      if (this.stopped || ws !== this.socket) return;
      if (finalCloseCodes.has(ev.code)) {
        this.stopped = true;
        this.events.refused(refusal?.code ?? ev.reason ?? 'E_CLOSED', refusal?.message ?? '');
        return;
      }
      this.events.online(false);
      const delay = Math.min(10_000, 250 * 2 ** Math.min(this.attempt++, 6)) * (0.5 + Math.random() / 2);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  private seenOnline = false;
}
