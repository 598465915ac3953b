import { FRAME_HEADER_BYTES, encodeFrame, type FrameTypeId } from './link-frames.js';

/** Frames are encoded into slabs this large; a slab is written in pieces and reused once they are all written. */
const SLAB_BYTES = 512 << 10;
/** Written slabs kept for reuse (a new 512 KiB one per 512 KiB relayed drove V8's major GC through its external-memory accounting). */
const SLABS_KEPT = 4;
/** A frame larger than this is encoded on its own (it would use up most of a slab). */
const BATCH_MAX_FRAME = 128 << 10;
/** Written at once when this much is waiting, not only at the end of the loop turn (bounds the batch). */
const FLUSH_AT = 256 << 10;

/**
 * The write side of one gateway link: every frame of a loop turn goes into one buffer and out in one
 * socket.write() on the next setImmediate (or as soon as FLUSH_AT is waiting), instead of a Buffer and a
 * socket.write() per frame. Why: per frame, Node's stream machinery (write, writev, the write callbacks) and
 * the Buffer it kept were most of a bridging gateway's cost in the two-gateway relay bench (docs/benchmarks.md).
 * Frames are encoded straight into the slab (header and payload: the payload's one copy, as encodeFrame did),
 * so a caller's bytes are free again when the call returns. Order is kept: everything goes through here.
 * A slab is filled once; when the socket has written every piece of it (write callbacks come in order), it
 * goes back to a small free list.
 */
export class LinkBatch {
  private slab: Buffer = Buffer.allocUnsafeSlow(SLAB_BYTES);
  /** [start, end) of the slab: encoded, not yet written. */
  private start = 0;
  private end = 0;
  private scheduled = false;
  private discarded = false;
  /** The slab of each piece handed to the socket and not yet written, in order (null: a frame of its own). */
  private readonly writing: (Buffer | null)[] = [];
  private readonly free: Buffer[] = [];
  private readonly writtenBound = () => this.pieceWritten();
  private readonly flushBound = () => {
    this.scheduled = false;
    this.flush();
  };

  constructor(
    /** Writes one piece of the stream to the socket, which calls `written` once it no longer needs the bytes. */
    private readonly out: (chunk: Buffer, written: () => void) => void,
  ) {}

  /** Bytes encoded and not yet handed to the socket. */
  get pendingBytes(): number {
    return this.end - this.start;
  }

  /** Encodes one frame; returns the payload's length in bytes (what flow control counts). */
  frame(type: FrameTypeId, stream: number, payload: Uint8Array | string): number {
    const size = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength;
    if (this.discarded) return size;
    if (FRAME_HEADER_BYTES + size > BATCH_MAX_FRAME) {
      this.flush();
      this.send(encodeFrame(type, stream, payload), null);
      return size;
    }
    const at = this.reserve(FRAME_HEADER_BYTES + size);
    const slab = this.slab;
    slab.writeUInt32BE(5 + size, at);
    slab[at + 4] = type;
    slab.writeUInt32BE(stream, at + 5);
    if (typeof payload === 'string') slab.write(payload, at + FRAME_HEADER_BYTES, size, 'utf8');
    else slab.set(payload, at + FRAME_HEADER_BYTES);
    this.written();
    return size;
  }

  /** A frame encoded elsewhere (rare ones: HELLO, OPEN, CLOSE…), in order with the rest. */
  raw(frame: Buffer): void {
    if (this.discarded) return;
    if (frame.byteLength > BATCH_MAX_FRAME) {
      this.flush();
      this.send(frame, null);
      return;
    }
    this.slab.set(frame, this.reserve(frame.byteLength));
    this.written();
  }

  /** Hands what is encoded to the socket now. */
  flush(): void {
    if (this.end === this.start || this.discarded) return;
    const piece = this.slab.subarray(this.start, this.end);
    this.start = this.end;
    this.send(piece, this.slab);
  }

  /** The socket is gone: nothing more is written. */
  discard(): void {
    this.discarded = true;
    this.start = this.end = 0;
    this.writing.length = 0;
    this.free.length = 0;
  }

  private send(piece: Buffer, slab: Buffer | null): void {
    this.writing.push(slab);
    this.out(piece, this.writtenBound);
  }

  private pieceWritten(): void {
    const slab = this.writing.shift();
    // Its last piece (a frame of its own may sit between two pieces of a slab), and it is not being filled.
    if (!slab || slab === this.slab || this.writing.includes(slab)) return;
    this.recycle(slab);
  }

  private recycle(slab: Buffer): void {
    if (this.free.length < SLABS_KEPT) this.free.push(slab);
  }

  /** Room for `n` bytes at the end of the batch: its offset. A full slab is written and a new one started. */
  private reserve(n: number): number {
    if (this.end + n > SLAB_BYTES) {
      const old = this.slab;
      this.flush();
      this.slab = this.free.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.start = this.end = 0;
      if (!this.writing.includes(old)) this.recycle(old); // all of it written already
    }
    const at = this.end;
    this.end += n;
    return at;
  }

  private written(): void {
    if (this.end - this.start >= FLUSH_AT) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushBound);
    }
  }
}
