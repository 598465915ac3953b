/**
 * Framing of the gateway link (docs/architecture.md, "Gateway link"): one TLS connection per gateway pair
 * carries many sessions as streams.
 *
 *   u32 length of what follows | u8 type | u32 stream id | payload
 *
 * Stream 0 is the connection itself (HELLO). Streams opened by the dialing side are odd, by the accepting
 * side even, so both can open streams without agreeing on ids.
 */
export const FrameType = {
  /** stream 0, payload JSON { gatewayId } — first frame each way. */
  HELLO: 1,
  /** payload JSON OpenRequest: attach a remote party to a session. */
  OPEN: 2,
  /** payload JSON { ok: true } or { code }: the answer to OPEN. */
  OPENED: 3,
  /** a text WebSocket frame, relayed. */
  TEXT: 4,
  /** a binary WebSocket frame, relayed (channel byte first). */
  BINARY: 5,
  /** payload u32: bytes of TEXT/BINARY payload consumed, which the sender may send again (flow control). */
  ACK: 6,
  /** payload u16 close code + UTF-8 reason: the stream's party is gone. */
  CLOSE: 7,
} as const;
export type FrameTypeId = (typeof FrameType)[keyof typeof FrameType];

export const FRAME_HEADER_BYTES = 9;

export interface Frame {
  type: number;
  stream: number;
  payload: Buffer;
}

export function encodeFrame(type: FrameTypeId, stream: number, payload: Uint8Array | string = ''): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const frame = frameBuffer(FRAME_HEADER_BYTES + body.byteLength);
  frame.writeUInt32BE(5 + body.byteLength, 0);
  frame.writeUInt8(type, 4);
  frame.writeUInt32BE(stream, 5);
  frame.set(body, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Small frames are carved out of 256 KiB slabs instead of Node's 8 KiB Buffer pool: a new pool every few 1 KiB
 * frames was 5.4 % of a bridging gateway's CPU samples in the two-gateway relay bench (createUnsafeBuffer; 0 %
 * after, GC 13 % → 4 %; end to end inside that shared machine's noise). A slab lives as long as any frame cut
 * from it waits in a socket; nothing is ever written into it twice.
 */
const SLAB_BYTES = 256 << 10;
const SLAB_MAX_FRAME = 16 << 10;
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let slabUsed = 0;

function frameBuffer(n: number): Buffer {
  if (n > SLAB_MAX_FRAME) return Buffer.allocUnsafe(n);
  if (slabUsed + n > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  slabUsed += (n + 7) & ~7; // keep each frame 8-byte aligned, as Node's pool does
  return out;
}

export function encodeAck(stream: number, bytes: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(bytes, 0);
  return encodeFrame(FrameType.ACK, stream, payload);
}

export function encodeClose(stream: number, code: number, reason: string): Buffer {
  const text = Buffer.from(reason.slice(0, 120), 'utf8');
  const payload = Buffer.allocUnsafe(2 + text.byteLength);
  payload.writeUInt16BE(code, 0);
  payload.set(text, 2);
  return encodeFrame(FrameType.CLOSE, stream, payload);
}

export class FrameError extends Error {
  override name = 'FrameError';
}

/**
 * Incremental parser: push TCP chunks in, get whole frames out. Rejects a frame larger than `maxFrameBytes`
 * before buffering it, so a broken or hostile peer cannot make us allocate without bound.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes: number) {}

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    const frames: Frame[] = [];
    while (this.buffered >= 4) {
      const head = this.peek(4);
      const length = head.readUInt32BE(0);
      if (length < 5 || length > this.maxFrameBytes + 5) throw new FrameError(`link frame of ${length} bytes is out of bounds`);
      if (this.buffered < 4 + length) break;
      const whole = this.take(4 + length);
      frames.push({ type: whole.readUInt8(4), stream: whole.readUInt32BE(5), payload: whole.subarray(FRAME_HEADER_BYTES) });
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.byteLength < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    if (this.chunks[0]!.byteLength < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0]!;
    const out = first.subarray(0, n);
    if (first.byteLength === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}
