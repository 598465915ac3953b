import type { DeliveryClass } from '../../../protocol/channels.js';
import type { PartySocket } from './party.js';

/**
 * Every write from the gateway to a party goes through here and happens on the next setImmediate, never
 * inside a uWS message handler. Why: with uWS.js 20.30 over TLS, if socket B's kernel buffer fills while we
 * write to B from inside socket A's message handler, uWS stops reading A for good (reproduced with a bare
 * SSLApp; plain TCP is unaffected; gateway/test/e2e/backpressure.test.ts catches a regression). Deferring the
 * write out of A's read path avoids it. One FIFO keeps the order of frames, relayed data and closes.
 *
 * Whether a write is accepted is decided when it is queued (delivery/socket-writer.ts), from the bytes this
 * outbox holds for the socket (`party.pendingBytes`) plus the socket's own buffer.
 */
export type OutboxEntry =
  /** Relayed data or control frames, accepted by a Writer. `tag`: channel id for metrics, or < 0. */
  | { kind: 'deliver'; ws: PartySocket; data: Uint8Array | string; isBinary: boolean; cls: DeliveryClass; tag: number; size: number }
  /** Frames the gateway originates (state, errors): small and rare, so never refused. */
  | { kind: 'notice'; ws: PartySocket; text: string }
  | { kind: 'close'; ws: PartySocket; code: number; reason: string };

/** 'sent': handed to the socket; 'overflow': the socket refused it (past uWS's maxBackpressure); 'gone': closed first. */
export type DeliveryListener = (entry: Extract<OutboxEntry, { kind: 'deliver' }>, outcome: 'sent' | 'overflow' | 'gone') => void;

/** uWS send() result for a message refused past maxBackpressure (0 = queued, 1 = written). */
const SEND_DROPPED = 2;

export class Outbox {
  private queue: OutboxEntry[] = [];
  private scheduled = false;
  private readonly flushBound = () => this.flush();

  constructor(
    private readonly onDelivery: DeliveryListener,
    /** A write that threw (a bug, e.g. a socket used after close): reported, and the other sockets go on. */
    private readonly onError: (err: unknown) => void,
  ) {}

  /** `data` must not be a uWS message buffer (uWS frees it when the handler returns): copy those first. */
  deliver(ws: PartySocket, data: Uint8Array | string, isBinary: boolean, cls: DeliveryClass, tag: number): void {
    const size = typeof data === 'string' ? data.length : data.byteLength;
    ws.getUserData().pendingBytes += size;
    this.push({ kind: 'deliver', ws, data, isBinary, cls, tag, size });
  }

  notice(ws: PartySocket, text: string): void {
    this.push({ kind: 'notice', ws, text });
  }

  close(ws: PartySocket, code: number, reason: string): void {
    this.push({ kind: 'close', ws, code, reason });
  }

  private push(entry: OutboxEntry): void {
    this.queue.push(entry);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushBound);
    }
  }

  /**
   * Runs the queued writes, in order for each socket (the only order that matters); sockets that closed
   * meanwhile are skipped. Each socket's writes run corked: uWS then sends them as one TLS record and one
   * syscall instead of one per message, most of the cost of small messages (bench: 1 KiB relay went from
   * ~110 to ~185 MB per gateway CPU-second, docs/benchmarks.md).
   */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    // Group by socket, keeping first-seen order; most batches hold one or two sockets.
    const bySocket = new Map<PartySocket, OutboxEntry[]>();
    for (const entry of batch) {
      const list = bySocket.get(entry.ws);
      if (list) list.push(entry);
      else bySocket.set(entry.ws, [entry]);
    }
    for (const [ws, entries] of bySocket) {
      try {
        // cork() on a closed uWS socket throws (and would take the process down from setImmediate).
        if (ws.cork && entries.length > 1 && ws.getUserData().phase !== 'closed') ws.cork(() => this.run(entries));
        else this.run(entries);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  private run(batch: OutboxEntry[]): void {
    for (const entry of batch) {
      if (entry.kind === 'deliver') entry.ws.getUserData().pendingBytes -= entry.size;
      // A socket is unusable after its close event; onClose marks its party closed.
      if (entry.ws.getUserData().phase === 'closed') {
        if (entry.kind === 'deliver') this.onDelivery(entry, 'gone');
        continue;
      }
      switch (entry.kind) {
        case 'deliver':
          this.onDelivery(entry, entry.ws.send(entry.data, entry.isBinary) === SEND_DROPPED ? 'overflow' : 'sent');
          break;
        case 'notice':
          entry.ws.send(entry.text, false);
          break;
        case 'close':
          entry.ws.end(entry.code, entry.reason);
          break;
      }
    }
  }
}
