import type { DeliveryClass } from '../../../protocol/channels.js';
import type { Party, PartySocket } from './party.js';

/**
 * Every write from the gateway to a party goes through here and happens on the next setImmediate, never
 * inside a uWS message handler. Why: with uWS.js 20.30 over TLS, if socket B's kernel buffer fills while we
 * write to B from inside socket A's message handler, uWS stops reading A for good (reproduced with a bare
 * SSLApp; plain TCP is unaffected; gateway/test/e2e/backpressure.test.ts catches a regression). Deferring the
 * write out of A's read path avoids it. The likely cause, read in uSockets' TLS layer (src/crypto/openssl.c): every TLS
 * write resets the loop's shared count of undecrypted input, so a write made while uSockets hands up data in the
 * middle of A's read (its 512 KiB output buffer full) drops the rest of that read (docs/benchmarks.md, "The
 * design's floor", which also measures what the deferral costs against a bare uWS.js relay). One FIFO per socket keeps the order of its frames, relayed data and closes.
 *
 * Writing at once when it looks safe was tried (issue 9): a write straight from the handler whenever B had
 * nothing buffered (ours or uWS's) and the frame was at most 64 KiB makes two of the three tests in
 * backpressure.test.ts fail (the flood's 32 KiB screen and 16 KiB bulk frames: the kernel buffer fills during
 * the very write that started empty), and nothing the gateway sees (uWS's buffered amount) tells how full the
 * kernel buffer is. So no write is provably safe, and all are deferred. Nor would it pay much: unsafe direct
 * writes of every bulk frame measured 0.65 vs 0.60 × nginx per CPU-second at 64 KiB and 0.20 vs 0.18 at 1 KiB
 * (same conditions, docs/benchmarks.md). The deferral is one setImmediate per loop iteration, which batches every
 * frame read in that iteration; what cost was per message, and is gone (together, with the Writer's and
 * forward's: 1 KiB relay 0.13 → 0.29 × nginx per gateway CPU-second, same generator, same run conditions):
 * - no Map, arrays or closures per flush: each socket's queue lives on its party, reused;
 * - relayed frames are copied into one reused arena instead of an ArrayBuffer each (`copy`);
 * - metrics are counted per flush and tag, not per message (`onSent`).
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

/** 'overflow': the socket refused it (past uWS's maxBackpressure); 'gone': closed first. Written ones go to `onSent`. */
export type DeliveryListener = (entry: Extract<OutboxEntry, { kind: 'deliver' }>, outcome: 'overflow' | 'gone') => void;
/** Written frames of one tag (channel id ≥ 0) in one flush: messages and bytes. */
export type SentListener = (tag: number, messages: number, bytes: number) => void;

/** One socket's writes waiting for the next flush. Owned by the Outbox; kept on the party, reused. */
export interface SocketQueue {
  readonly ws: PartySocket;
  readonly party: Party;
  entries: OutboxEntry[];
  /** The array `entries` swaps with at each flush (no new array per flush). */
  spare: OutboxEntry[];
  /** `cork(run)` without a new closure per flush. */
  readonly run: () => void;
}

/** uWS send() result for a message refused past maxBackpressure (0 = queued, 1 = written). */
const SEND_DROPPED = 2;
/** Relayed frames are copied into this much reused memory; after a flush it is free again. */
const ARENA_BYTES = 4 << 20;
/** Larger frames get their own copy (they are few, and would use up the arena). */
const ARENA_MAX_FRAME = 256 << 10;
/**
 * Arenas kept for reuse when one loop turn copies more than one holds (64 KiB frames: a turn's reads can carry
 * many): a fresh zero-filled 4 MiB ArrayBuffer per overflow was 3 % of the gateway's CPU (memset) at 64 KiB relay.
 * Past this many, a turn's extra arenas are left to the GC.
 */
const ARENAS_KEPT = 4;
const TAGS = 256;

export class Outbox {
  /** Sockets with queued writes, in the order they got their first one since the last flush. */
  private dirty: SocketQueue[] = [];
  private spareDirty: SocketQueue[] = [];
  private scheduled = false;
  private readonly flushBound = () => this.flush();
  private readonly arenas: ArrayBuffer[] = [new ArrayBuffer(ARENA_BYTES)];
  /** The arena being filled: arenas[arenaIndex] while arenaIndex < ARENAS_KEPT, else one of its own. */
  private arena = this.arenas[0]!;
  private arenaIndex = 0;
  private arenaUsed = 0;
  private readonly sentMessages = new Float64Array(TAGS);
  private readonly sentBytes = new Float64Array(TAGS);
  private readonly sentTags: number[] = [];
  /** The queue being written now, so a write queued meanwhile for the same socket waits for the next flush. */
  private running: SocketQueue | null = null;

  constructor(
    private readonly onDelivery: DeliveryListener,
    /** A write that threw (a bug, e.g. a socket used after close): reported, and the other sockets go on. */
    private readonly onError: (err: unknown) => void,
    private readonly onSent: SentListener = () => {},
  ) {}

  /**
   * A copy of a uWS message buffer (uWS frees it when the handler returns) that stays valid until the next
   * flush has run: for frames handed to deliver() only. Saves an ArrayBuffer allocation per relayed frame
   * (and the GC work for it): measured in docs/benchmarks.md.
   */
  copy(data: Uint8Array): Uint8Array {
    const n = data.byteLength;
    if (n > ARENA_MAX_FRAME) return data.slice();
    if (this.arenaUsed + n > ARENA_BYTES) {
      // Full before a flush: its views stay queued; go on in the next arena (kept ones are reused after flushes).
      this.arenaIndex++;
      if (this.arenaIndex < ARENAS_KEPT) {
        if (this.arenaIndex === this.arenas.length) this.arenas.push(new ArrayBuffer(ARENA_BYTES));
        this.arena = this.arenas[this.arenaIndex]!;
      } else this.arena = new ArrayBuffer(ARENA_BYTES);
      this.arenaUsed = 0;
    }
    const view = new Uint8Array(this.arena, this.arenaUsed, n);
    view.set(data);
    this.arenaUsed += n;
    return view;
  }

  /** `data` must not be a uWS message buffer (uWS frees it when the handler returns): copy those first (copy()). */
  deliver(ws: PartySocket, data: Uint8Array | string, isBinary: boolean, cls: DeliveryClass, tag: number, party: Party = ws.getUserData()): void {
    const size = typeof data === 'string' ? data.length : data.byteLength;
    party.pendingBytes += size;
    this.push(ws, party, { kind: 'deliver', ws, data, isBinary, cls, tag, size });
  }

  notice(ws: PartySocket, text: string): void {
    this.push(ws, ws.getUserData(), { kind: 'notice', ws, text });
  }

  close(ws: PartySocket, code: number, reason: string): void {
    this.push(ws, ws.getUserData(), { kind: 'close', ws, code, reason });
  }

  /**
   * A notice that goes before whatever else is queued for the socket: the answer to a handshake, which
   * the session's subscribers (participants list, screen repair request…) may have written to before it.
   */
  noticeFirst(ws: PartySocket, text: string): void {
    const party = ws.getUserData();
    this.push(ws, party, { kind: 'notice', ws, text });
    const entries = party.outq!.entries;
    entries.unshift(entries.pop()!);
  }

  private push(ws: PartySocket, party: Party, entry: OutboxEntry): void {
    let q = party.outq;
    if (!q) {
      const created: SocketQueue = { ws, party, entries: [], spare: [], run: () => this.run(created) };
      party.outq = q = created;
    }
    if (q.entries.length === 0 && q !== this.running) this.dirty.push(q);
    q.entries.push(entry);
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
    const dirty = this.dirty;
    this.dirty = this.spareDirty;
    for (let i = 0; i < dirty.length; i++) {
      const q = dirty[i]!;
      try {
        // cork() on a closed uWS socket throws (and would take the process down from setImmediate).
        if (q.ws.cork && q.entries.length > 1 && q.party.phase !== 'closed') q.ws.cork(q.run);
        else this.run(q);
      } catch (err) {
        this.onError(err);
      }
    }
    dirty.length = 0;
    this.spareDirty = dirty;
    // Every frame copied into the arenas was in this flush (only forward copies, never during a flush): reuse them.
    this.arenaIndex = 0;
    this.arena = this.arenas[0]!;
    this.arenaUsed = 0;
    for (const tag of this.sentTags) {
      this.onSent(tag, this.sentMessages[tag]!, this.sentBytes[tag]!);
      this.sentMessages[tag] = 0;
      this.sentBytes[tag] = 0;
    }
    this.sentTags.length = 0;
  }

  private run(q: SocketQueue): void {
    const batch = q.entries;
    q.entries = q.spare;
    q.spare = batch;
    this.running = q;
    const { ws, party } = q;
    let i = 0;
    try {
      for (; i < batch.length; i++) {
        const entry = batch[i]!;
        if (entry.kind === 'deliver') party.pendingBytes -= entry.size;
        // A socket is unusable after its close event; onClose marks its party closed.
        if (party.phase === 'closed') {
          if (entry.kind === 'deliver') this.onDelivery(entry, 'gone');
          continue;
        }
        switch (entry.kind) {
          case 'deliver':
            if (ws.send(entry.data, entry.isBinary) === SEND_DROPPED) this.onDelivery(entry, 'overflow');
            else if (entry.tag >= 0 && entry.tag < TAGS) {
              if (this.sentMessages[entry.tag] === 0) this.sentTags.push(entry.tag);
              this.sentMessages[entry.tag]!++;
              this.sentBytes[entry.tag]! += entry.size;
            }
            break;
          case 'notice':
            ws.send(entry.text, false);
            break;
          case 'close':
            ws.end(entry.code, entry.reason);
            break;
        }
      }
    } finally {
      // After a throw (a bug, reported by flush) the rest of this socket's batch is dropped, its bytes released.
      for (let j = i + 1; j < batch.length; j++) {
        const rest = batch[j]!;
        if (rest.kind === 'deliver') party.pendingBytes -= rest.size;
      }
      batch.length = 0;
      this.running = null;
      // Writes queued for this socket while it was being written (a listener closing it) wait for the next flush.
      if (q.entries.length > 0) this.dirty.push(q);
    }
  }
}
