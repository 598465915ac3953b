import { summarizePacket } from '../../../codec/format.js';
import { encodeScreenFrame } from '../../../../protocol/screen-header.js';

export interface ScreenSenderOptions<F> {
  /**
   * The agent's encoder (e.g. the native `encoder.encode(frame, { keyframe })`): a codec packet of `frame`
   * against the last frame it encoded. Whether the packet is a keyframe is read from the packet itself, so
   * an encoder that makes keyframes of its own accord (its first frame, an interval) is numbered right.
   */
  encode(frame: F, options: { keyframe: boolean }): Uint8Array;
  /** Writes one whole screen frame to the session (binary, channel 0x01). */
  send(bytes: Uint8Array): void;
  /** False while the connection has no room (e.g. bufferedAmount over a limit): frames then wait here. */
  hasRoom(): boolean;
}

/**
 * The agent's side of the screen channel (browser-safe). Numbers frames 1, 2, 3… with the frame each builds
 * on; encodes a frame only when it is sent, newest frame wins (a captured frame that has to wait for room is
 * replaced by the next capture, and is never encoded, so the encoder's reference is always the frame the
 * gateway got last); answers `resync` with a repair keyframe of the last frame it sent.
 *
 * Frames are kept by reference (the last sent one, for a repair, and the one waiting): the caller must not
 * change a frame after offering it (capture into a fresh buffer, or alternate two).
 */
export class ScreenSender<F> {
  private frameNumber = 0;
  private last: F | undefined;
  private pending: F | undefined;
  private repairAsked = false;
  private keyframeAsked = false;
  readonly stats = { frames: 0, keyframes: 0, repairs: 0, replaced: 0, bytes: 0 };

  constructor(private readonly options: ScreenSenderOptions<F>) {}

  /** The number of the last frame sent (0 = none). */
  get frame(): number {
    return this.frameNumber;
  }

  /** A captured frame: sent now when there is room (true), else kept until flush(), replacing an older one. */
  offer(frame: F): boolean {
    if (this.pending !== undefined) this.stats.replaced++;
    this.pending = frame;
    this.flush();
    return this.pending === undefined;
  }

  /** The gateway's `{"type":"resync"}`: a viewer lost its picture. Sent now or at the next flush(). */
  resync(): void {
    if (this.last === undefined) this.keyframeAsked = true; // nothing sent yet: make the first frame a keyframe
    else this.repairAsked = true;
    this.flush();
  }

  /** Makes the next frame a keyframe (e.g. the captured area changed size). */
  requestKeyframe(): void {
    this.keyframeAsked = true;
  }

  /** Call when the connection drained (and after offer/resync, which call it): sends what waits, repair first. */
  flush(): void {
    if (this.repairAsked && this.last !== undefined && this.options.hasRoom()) {
      this.repairAsked = false;
      // Same number as the frame the gateway has: a repair is not a new frame, only that frame again.
      this.write(this.last, true, true);
      this.stats.repairs++;
    }
    if (this.pending !== undefined && !this.repairAsked && this.options.hasRoom()) {
      const frame = this.pending;
      this.pending = undefined;
      const keyframe = this.keyframeAsked;
      this.keyframeAsked = false;
      this.write(frame, keyframe, false);
      this.last = frame;
    }
  }

  private write(frame: F, keyframe: boolean, repair: boolean): void {
    const packet = this.options.encode(frame, { keyframe });
    const summary = summarizePacket(packet);
    if (!summary) throw new TypeError('ScreenSender: encode() did not return a codec packet (docs/codec.md)');
    if (!summary.keyframe && (repair || this.frameNumber === 0)) throw new TypeError(`ScreenSender: encode() returned a delta where a keyframe is needed (${repair ? 'a repair' : 'the first frame'})`);
    if (!repair) this.frameNumber++;
    const bytes = encodeScreenFrame({ keyframe: summary.keyframe, repair, frame: this.frameNumber, base: summary.keyframe ? 0 : this.frameNumber - 1 }, packet);
    if (summary.keyframe) this.stats.keyframes++;
    if (!repair) this.stats.frames++;
    this.stats.bytes += bytes.byteLength;
    this.options.send(bytes);
  }
}
