/**
 * What a technician sees, decoded with the native Decoder: screen frames checked against their header
 * (a delta applies only on top of exactly its base), the cursor messages, and the control messages the
 * agent sent. Used by the agent's tests and benchmarks.
 */
import { decodeCursor, type CursorEvent } from '../../../protocol/cursor-events.js';
import { readScreenHeader, screenPacket, type ScreenHeader } from '../../../protocol/screen-header.js';
import type { SessionConnection } from '../../sdk/src/node.js';
import { loadNative } from '../native.js';

type Decoder = InstanceType<ReturnType<typeof loadNative>['Decoder']>;

export class TechnicianView {
  decoder: Decoder | null = null;
  frames: (ScreenHeader & { at: number })[] = [];
  cursor: CursorEvent[] = [];
  /** Header problems seen (a delta on a missing base, a malformed header): must stay empty. */
  problems: string[] = [];
  private applied = 0;
  /** Called after each decoded frame with the rectangles it changed ([x, y, w, h]). */
  onFrame: ((rects: [number, number, number, number][]) => void) | null = null;

  constructor(conn: SessionConnection) {
    conn.on('data', (channel, payload) => {
      if (channel === 0x01) this.onScreen(payload);
      else if (channel === 0x05) {
        const c = decodeCursor(payload);
        if (c) this.cursor.push(c);
      }
    });
  }

  private onScreen(payload: Uint8Array): void {
    // The SDK hands us the bytes after the channel byte; the header reader expects the whole message.
    const whole = new Uint8Array(payload.byteLength + 1);
    whole[0] = 0x01;
    whole.set(payload, 1);
    const h = readScreenHeader(whole);
    if (!h) return void this.problems.push('malformed screen header');
    const packet = screenPacket(whole);
    if (!h.keyframe && h.base !== this.applied) return void this.problems.push(`frame ${h.frame} builds on ${h.base}, we have ${this.applied}`);
    const width = packet[5]! | (packet[6]! << 8);
    const height = packet[7]! | (packet[8]! << 8);
    if (!this.decoder || this.decoder.width !== width || this.decoder.height !== height) {
      if (!h.keyframe) return void this.problems.push(`delta ${h.frame} for a ${width}x${height} picture we do not have`);
      this.decoder = new (loadNative().Decoder)(width, height);
    }
    const { rects } = this.decoder.decode(packet);
    this.applied = h.frame;
    this.frames.push({ ...h, at: performance.now() });
    this.onFrame?.(rects);
  }

  get width(): number {
    return this.decoder?.width ?? 0;
  }
  get height(): number {
    return this.decoder?.height ?? 0;
  }

  /** The decoded picture (BGRA). */
  picture(): Buffer {
    if (!this.decoder) throw new Error('no picture yet');
    return this.decoder.frame();
  }
}

/** Byte offsets of pixels whose colour (B, G, R; alpha ignored) differs between two BGRA pictures, at most `max`. */
export function pixelDifferences(a: Uint8Array, b: Uint8Array, max = 10): number[] {
  const out: number[] = [];
  if (a.byteLength !== b.byteLength) return [-1];
  for (let i = 0; i < a.byteLength && out.length < max; i += 4) {
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) out.push(i);
  }
  return out;
}
