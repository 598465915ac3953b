/**
 * What a technician sees: the SDK's ScreenReceiver (a delta only on exactly its base) over the native Decoder,
 * plus the frames' headers, the cursor messages, and anything the receiver had to complain about. Used by the
 * agent's tests and benchmarks.
 */
import { decodeCursor, type CursorEvent } from '../../../protocol/cursor-events.js';
import { ScreenFlag } from '../../../protocol/screen-header.js';
import { ScreenReceiver } from '../../sdk/src/screen/screen-receiver.js';
import { loadNative } from '../native.js';

type Decoder = InstanceType<ReturnType<typeof loadNative>['Decoder']>;

export interface SeenFrame {
  keyframe: boolean;
  repair: boolean;
  frame: number;
  base: number;
  at: number;
}

export class TechnicianView {
  readonly receiver = new ScreenReceiver<Decoder>({
    createDecoder: (w, h) => new (loadNative().Decoder)(w, h),
    onLost: (reason) => {
      this.problems.push(reason);
      this.onLost?.(reason);
    },
  });
  /** Frames applied to the picture, in order. */
  frames: SeenFrame[] = [];
  cursor: CursorEvent[] = [];
  /** What went wrong (a delta without its base, a packet that failed): must stay empty. */
  problems: string[] = [];
  /** Called after each frame applied to the picture. */
  onFrame: (() => void) | null = null;

  /**
   * `conn`: the session, or the SDK's path layer (its `message` events), for frames that may come direct.
   * `onLost`: the picture was lost (on a direct path nobody else notices: ask the agent for a keyframe).
   */
  constructor(
    conn: { on(event: 'data', handler: (channel: number, payload: Uint8Array) => void): unknown },
    private readonly onLost?: (reason: string) => void,
  ) {
    conn.on('data', (channel, payload) => {
      if (channel === 0x05) {
        const c = decodeCursor(payload);
        if (c) this.cursor.push(c);
        return;
      }
      const outcome = this.receiver.receiveData(channel, payload);
      if (outcome === 'failed' || outcome === 'malformed') this.problems.push(`a screen frame ${outcome}`);
      if (outcome !== 'applied' && outcome !== 'repaired') return;
      // The header after the channel byte: flags u8, frame u32, base u32 (big-endian).
      const v = new DataView(payload.buffer, payload.byteOffset, 9);
      const flags = v.getUint8(0);
      this.frames.push({ keyframe: (flags & ScreenFlag.keyframe) !== 0, repair: (flags & ScreenFlag.repair) !== 0, frame: v.getUint32(1), base: v.getUint32(5), at: performance.now() });
      this.onFrame?.();
    });
  }

  get width(): number {
    return this.receiver.decoder?.width ?? 0;
  }
  get height(): number {
    return this.receiver.decoder?.height ?? 0;
  }

  /** The decoded picture (BGRA). */
  picture(): Buffer {
    if (!this.receiver.decoder) throw new Error('no picture yet');
    return this.receiver.decoder.frame();
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
