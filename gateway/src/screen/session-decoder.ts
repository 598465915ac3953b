import type { PacketSummary } from '../../../clients/codec/format.js';
import { encodeScreenFrame, type ScreenHeader } from '../../../protocol/screen-header.js';
import type { GatewayDecoders } from './gateway-decoders.js';
import type { NativeDecoder } from './native-codec.js';
import type { RepairKind } from './screen-counters.js';

/**
 * One session's gateway-side copy of the agent's screen: a native Decoder fed with every frame, so a viewer
 * that fell behind is repaired at once from here (no round trip to the agent). It is in sync only from a
 * keyframe on and while every delta builds on the frame it holds; out of sync it repairs nothing and the
 * router asks the agent instead.
 */
export class SessionDecoder {
  private decoder: NativeDecoder | null = null;
  /** The agent frame number the framebuffer shows; 0 = not in sync. */
  frame = 0;
  /** Counts decoders this session made: generations of an earlier one mean nothing to the current one. */
  epoch = 0;
  // Repairs (whole screen frames) computed at this generation, reused for every viewer repaired in the
  // same round: one keyframe() for any number of late joiners.
  private cacheGeneration = -1;
  private cachedKeyframe: Uint8Array | undefined;
  private readonly cachedDeltas = new Map<number, Uint8Array>();

  constructor(private readonly pool: GatewayDecoders) {}

  get synced(): boolean {
    return this.frame !== 0;
  }

  /** Packets applied; a viewer's picture is this decoder's at the generation recorded when it got its frame. */
  get generation(): number {
    return this.decoder?.generation ?? 0;
  }

  /** Framebuffer bytes held (0 until the first keyframe). */
  get bytes(): number {
    return this.decoder ? this.decoder.width * this.decoder.height * 4 : 0;
  }

  /**
   * Applies one frame. Returns the codec's error (code and message) when the packet does not decode; the
   * router then refuses the frame, since every viewer's decoder would fail on it too.
   */
  feed(header: ScreenHeader, packet: Uint8Array, summary: PacketSummary): string | undefined {
    if (header.keyframe) {
      // A repair of the frame we hold adds nothing, and decoding it would mark every tile changed
      // (so every later merged delta would be a whole keyframe).
      if (header.repair && this.frame === header.frame) return undefined;
      if (!this.decoder || this.decoder.width !== summary.width || this.decoder.height !== summary.height) {
        this.drop();
        this.decoder = this.pool.acquire(summary.width, summary.height);
        if (!this.decoder) return undefined;
        this.epoch++;
      }
    } else if (!this.decoder || this.frame !== header.base) {
      this.frame = 0; // a gap: nothing here matches what the agent builds on until its next keyframe
      return undefined;
    }
    try {
      this.decoder.decode(packet);
    } catch (err) {
      this.frame = 0;
      const e = err as { code?: string; message?: string };
      return `${e.code ?? 'E_CODEC'}: ${e.message ?? String(err)}`;
    }
    this.frame = header.frame;
    return undefined;
  }

  /**
   * The screen frame that makes a viewer current (only while synced): a merged delta from `since`, the
   * generation its picture `base` matches, or a repair keyframe when its picture is unknown (`since` < 0).
   */
  repairFor(since: number, base: number): { kind: RepairKind; bytes: Uint8Array } {
    const decoder = this.decoder!;
    if (this.cacheGeneration !== decoder.generation) {
      this.cacheGeneration = decoder.generation;
      this.cachedKeyframe = undefined;
      this.cachedDeltas.clear();
    }
    if (since < 0) {
      this.cachedKeyframe ??= encodeScreenFrame({ keyframe: true, repair: true, frame: this.frame }, decoder.keyframe());
      return { kind: 'gateway_keyframe', bytes: this.cachedKeyframe };
    }
    // One generation is one frame while in sync, so `since` alone names the cached answer.
    let bytes = this.cachedDeltas.get(since);
    if (!bytes) this.cachedDeltas.set(since, (bytes = encodeScreenFrame({ keyframe: false, repair: false, frame: this.frame, base }, decoder.deltaSince(since))));
    return { kind: 'merged_delta', bytes };
  }

  /** Frees the framebuffer (back to the gateway's budget); safe to call twice. */
  drop(): void {
    if (this.decoder) this.pool.release(this.decoder);
    this.decoder = null;
    this.frame = 0;
    this.cacheGeneration = -1;
    this.cachedKeyframe = undefined;
    this.cachedDeltas.clear();
  }
}
