import type { GatewayConfig } from '../config/load-config.js';
import { loadNativeCodec, type NativeCodec, type NativeDecoder } from './native-codec.js';

/**
 * Which repair a session uses (docs/architecture.md, "Screen module", has the measurements):
 * - agent: never a gateway decoder; a viewer that lost its picture waits for the agent's repair keyframe
 *   (one round trip, a keyframe's bytes on the customer's uplink, nothing kept on the gateway);
 * - gateway: every session with a viewer keeps a native Decoder fed with every frame, and repairs at once
 *   with a merged delta or a keyframe (8 MB and one decode per frame at 1080p);
 * - auto: a decoder only in sessions with at least `minViewers` viewers, where one decode per frame is
 *   shared by many viewers' repairs and a late joiner is not the only one who waits.
 */
export type ScreenRepairMode = 'agent' | 'gateway' | 'auto';
export const screenRepairModes: readonly ScreenRepairMode[] = ['agent', 'gateway', 'auto'];

export interface GatewayDecoderOptions {
  mode: ScreenRepairMode;
  /** auto: sessions with at least this many viewers keep a decoder. */
  minViewers: number;
  /** Framebuffer bytes all sessions of this gateway may hold in decoders; past it sessions repair through the agent. */
  maxBytes: number;
}

/**
 * The gateway-wide owner of screen decoders: decides which sessions want one (the mode) and caps their
 * memory (`maxBytes`, reserved before the decoder is allocated, so concurrent sessions cannot all pass the
 * check). A session over the cap, or a gateway without the native binary, falls back to agent keyframes:
 * slower repairs, never a wrong picture.
 */
export class GatewayDecoders {
  private bytes = 0;
  private live = 0;
  private codec: NativeCodec | null | undefined;
  /** Why decoders are unavailable (the native binary is missing), for the gateway to log once. */
  unavailable: string | undefined;

  constructor(
    readonly options: GatewayDecoderOptions,
    private readonly load: () => NativeCodec = loadNativeCodec,
    /** Told the framebuffer bytes in use after each change (the relaydesk_screen_decoder_bytes gauge). */
    private readonly onBytes: (bytes: number) => void = () => {},
  ) {
    if (!Number.isInteger(options.minViewers) || options.minViewers < 1) throw new RangeError(`minViewers must be a whole number ≥ 1 (got ${options.minViewers})`);
    if (!(options.maxBytes >= 0)) throw new RangeError(`maxBytes must be ≥ 0 (got ${options.maxBytes})`);
  }

  /** Whether a session with this many viewers should keep a decoder. */
  wants(viewers: number): boolean {
    if (viewers === 0) return false;
    return this.options.mode === 'gateway' || (this.options.mode === 'auto' && viewers >= this.options.minViewers);
  }

  /** A decoder for a width×height screen, or null (over the memory cap, or no native codec). */
  acquire(width: number, height: number): NativeDecoder | null {
    const cost = width * height * 4;
    this.bytes += cost; // reserve first (increment, then check)
    if (this.bytes > this.options.maxBytes) {
      this.bytes -= cost;
      return null;
    }
    const codec = this.codec === undefined ? this.tryLoad() : this.codec;
    if (!codec) {
      this.bytes -= cost;
      return null;
    }
    this.live++;
    this.onBytes(this.bytes);
    return new codec.Decoder(width, height);
  }

  /** Gives back what acquire() reserved; the decoder is garbage once its session drops it. */
  release(decoder: NativeDecoder): void {
    this.bytes -= decoder.width * decoder.height * 4;
    this.live--;
    this.onBytes(this.bytes);
  }

  get bytesInUse(): number {
    return this.bytes;
  }

  get decodersInUse(): number {
    return this.live;
  }

  private tryLoad(): NativeCodec | null {
    try {
      this.codec = this.load();
    } catch (err) {
      this.codec = null;
      this.unavailable = (err as Error).message;
    }
    return this.codec;
  }
}

/** The gateway's decoders as its configuration says (--screen-repair, --screen-decoder-min-viewers, --screen-decoder-memory-mb). */
export function gatewayDecodersFromConfig(c: Pick<GatewayConfig, 'screenRepair' | 'screenDecoderMinViewers' | 'screenDecoderMemoryMb'>, bytesInUse?: { set(v: number): void }): GatewayDecoders {
  return new GatewayDecoders({ mode: c.screenRepair, minViewers: c.screenDecoderMinViewers, maxBytes: c.screenDecoderMemoryMb * 2 ** 20 }, loadNativeCodec, (b) => bytesInUse?.set(b));
}
