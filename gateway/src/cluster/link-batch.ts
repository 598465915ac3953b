import { FRAME_HEADER_BYTES, encodeFrame, type FrameTypeId } from './link-frames.js';

/** Frames are encoded into slabs this large; a slab is written in pieces and never written into twice. */
const SLAB_BYTES = 512 << 10;
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
 */
export class LinkBatch {
  private slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  /** [start, end) of the slab: encoded, not yet written. */
  private start = 0;
  private end = 0;
  private scheduled = false;
  private discarded = false;
  private readonly flushBound = () => {
    this.scheduled = false;
    this.flush();
  };

  constructor(
    /** Writes one piece of the stream to the socket (the slab region is the socket's from then on). */
    private readonly out: (chunk: Buffer) => void,
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
      this.out(encodeFrame(type, stream, payload));
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
      this.out(frame);
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
    this.out(piece);
  }

  /** The socket is gone: nothing more is written. */
  discard(): void {
    this.discarded = true;
    this.start = this.end = 0;
  }

  /** Room for `n` bytes at the end of the batch: its offset. A full slab is written and a new one started. */
  private reserve(n: number): number {
    if (this.end + n > SLAB_BYTES) {
      this.flush();
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.start = this.end = 0;
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
