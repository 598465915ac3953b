import { MAX_PATH_MESSAGE_BYTES } from './direct-path.js';

/**
 * Messages on a byte-stream path (TLS over TCP): u32 big-endian length, then the message (channel byte +
 * payload). Channel 0 is the path's own: keep-alive pings and pongs (and the controlling side's "use this
 * connection"), never delivered to the session.
 */
export const PATH_CONTROL_CHANNEL = 0x00;
export const PathControl = { ping: 1, pong: 2, select: 3 } as const;

export function encodeFrame(channel: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + payload.length);
  out.writeUInt32BE(payload.length + 1, 0);
  out[4] = channel;
  out.set(payload, 5);
  return out;
}

/** Incremental decoder; a frame over the limit is an error (the path is closed, never buffered without bound). */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer, onFrame: (channel: number, payload: Uint8Array) => void): string | null {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32BE(0);
      if (length < 1 || length > MAX_PATH_MESSAGE_BYTES + 1) return `frame of ${length} bytes`;
      if (this.buffer.length < 4 + length) break;
      const frame = this.buffer.subarray(4, 4 + length);
      this.buffer = this.buffer.subarray(4 + length);
      onFrame(frame[0]!, frame.subarray(1));
    }
    return null;
  }
}
