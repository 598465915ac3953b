import { summarizePacket } from '../../../codec/format.js';
import { channels } from '../../../../protocol/channels.js';
import { readScreenHeader, screenPacket } from '../../../../protocol/screen-header.js';

/** The part of a codec decoder the receiver drives (clients/codec's Decoder and the native one both fit). */
export interface FrameDecoder {
  readonly width: number;
  readonly height: number;
  decode(packet: Uint8Array): unknown;
}

/**
 * What became of one screen frame:
 * - applied: the picture is now this frame;
 * - repaired: applied, and it ended a wait (a keyframe, or a merged delta built on the frame we show);
 * - waiting: not applied: a delta whose base is not our frame (or we have no picture): we wait for a repair;
 * - stale: a repair keyframe of a frame we already show (nothing to do);
 * - failed: the packet did not decode (our picture is now unknown: we wait for a repair);
 * - malformed: not a screen frame at all.
 */
export type ReceiveOutcome = 'applied' | 'repaired' | 'waiting' | 'stale' | 'failed' | 'malformed';

export interface ScreenReceiverOptions<D extends FrameDecoder> {
  /** Makes a decoder for a screen size (on the first keyframe and when the size changes). */
  createDecoder(width: number, height: number): D;
  /** Called when the picture became unusable (a gap or a packet that failed): show "reconnecting picture…". */
  onLost?(reason: string): void;
}

/**
 * A viewer's side of the screen channel (browser-safe). It checks the header chain so the picture is never
 * wrong: a delta is applied only on top of exactly its base frame; after a gap it ignores deltas until a
 * repair (a keyframe, or a merged delta built on the frame it shows) arrives. The gateway already sends
 * nothing else, so a wait here means a bug or a lost packet upstream, and it is reported through onLost.
 */
export class ScreenReceiver<D extends FrameDecoder> {
  /** The decoder holding the picture; null before the first keyframe. */
  decoder: D | null = null;
  /** The agent frame number the picture shows; 0 = none. */
  frame = 0;
  /** True until a picture arrives, and after a gap until a repair. */
  waiting = true;
  readonly counts: Record<ReceiveOutcome, number> = { applied: 0, repaired: 0, waiting: 0, stale: 0, failed: 0, malformed: 0 };

  constructor(private readonly options: ScreenReceiverOptions<D>) {}

  /** One whole screen frame (channel byte included), as it came off the connection. */
  receive(bytes: Uint8Array): ReceiveOutcome {
    return this.count(this.apply(bytes));
  }

  /**
   * For SessionConnection's `data` event, which hands the payload after the channel byte: the screen frame
   * again, without a copy when the payload is a view just past that byte (as the SDK's are). Null for other channels.
   */
  receiveData(channel: number, payload: Uint8Array): ReceiveOutcome | null {
    if (channel !== channels.screen.id) return null;
    let whole: Uint8Array;
    if (payload.byteOffset > 0 && new Uint8Array(payload.buffer, payload.byteOffset - 1, 1)[0] === channel) {
      whole = new Uint8Array(payload.buffer, payload.byteOffset - 1, payload.byteLength + 1);
    } else {
      whole = new Uint8Array(payload.byteLength + 1);
      whole[0] = channel;
      whole.set(payload, 1);
    }
    return this.receive(whole);
  }

  private apply(bytes: Uint8Array): ReceiveOutcome {
    const h = readScreenHeader(bytes);
    if (!h || bytes[0] !== channels.screen.id) return 'malformed';
    const packet = screenPacket(bytes);
    if (h.keyframe) {
      if (h.repair && !this.waiting && h.frame <= this.frame) return 'stale';
      const size = summarizePacket(packet);
      if (!size) return this.fail('a keyframe without a codec packet');
      if (!this.decoder || this.decoder.width !== size.width || this.decoder.height !== size.height) this.decoder = this.options.createDecoder(size.width, size.height);
    } else if (h.base !== this.frame || this.frame === 0 || !this.decoder) {
      // The chain rule: a delta only on exactly its base. After a gap our picture is still a true (older)
      // frame, so a merged delta built on it repairs us as well as a keyframe does.
      if (!this.waiting) this.lose(`frame ${h.frame} builds on frame ${h.base}, the picture shows frame ${this.frame}`);
      return 'waiting';
    }
    try {
      this.decoder.decode(packet);
    } catch (err) {
      return this.fail(`frame ${h.frame} does not decode: ${(err as Error).message}`);
    }
    const wasWaiting = this.waiting;
    this.frame = h.frame;
    this.waiting = false;
    return wasWaiting ? 'repaired' : 'applied';
  }

  private fail(reason: string): ReceiveOutcome {
    this.frame = 0;
    this.lose(reason);
    return 'failed';
  }

  private lose(reason: string): void {
    this.waiting = true;
    this.options.onLost?.(reason);
  }

  private count(outcome: ReceiveOutcome): ReceiveOutcome {
    this.counts[outcome]++;
    return outcome;
  }
}
