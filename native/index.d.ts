/**
 * relaydesk native screen-delta codec (lossless, BGRA). Packet format: docs/codec.md.
 *
 * Errors are thrown as `Error` with a stable `code`:
 * E_CODEC_TRUNCATED, E_CODEC_CORRUPT, E_CODEC_BAD_MAGIC, E_CODEC_VERSION, E_CODEC_DIMENSIONS,
 * E_CODEC_FRAME_SIZE, E_CODEC_ARGUMENT, E_CODEC_INTERNAL (a bug; the process keeps running).
 *
 * Memory: arguments are borrowed for the duration of the call and never retained (no copy of
 * the input frame or packet is made up front). Every returned Buffer is a fresh copy, because the
 * encoder and decoder keep changing their internal buffers.
 */

export type CodecErrorCode =
  | 'E_CODEC_TRUNCATED'
  | 'E_CODEC_CORRUPT'
  | 'E_CODEC_BAD_MAGIC'
  | 'E_CODEC_VERSION'
  | 'E_CODEC_DIMENSIONS'
  | 'E_CODEC_FRAME_SIZE'
  | 'E_CODEC_ARGUMENT'
  | 'E_CODEC_INTERNAL';

/** [x, y, width, height] in pixels. */
export type Rect = [number, number, number, number];

export interface EncoderOptions {
  /** Emit a keyframe every this many frames; 0 (default) means only the first frame and on request. */
  keyframeInterval?: number;
  /** Worker threads for entropy coding large updates, 1..=64 (default 2). */
  threads?: number;
  /** Scroll detection (default true). Off only to measure what it buys. */
  motion?: boolean;
}

export declare class Encoder {
  /** width, height: 1..=16384. Keeps a width*height*4 reference frame (the decoder's view). */
  constructor(width: number, height: number, options?: EncoderOptions);
  readonly width: number;
  readonly height: number;
  /**
   * Encodes one BGRA frame (width*height*4 bytes; borrowed during the call, then only the changed
   * parts are copied into the reference). The first call, `keyframe: true`, and the keyframe
   * interval produce a keyframe; an unchanged frame yields a 20-byte packet.
   */
  encode(frame: Uint8Array, options?: { keyframe?: boolean }): Buffer;
}

export declare class Decoder {
  constructor(width: number, height: number);
  readonly width: number;
  readonly height: number;
  /** Packets applied so far; the framebuffer starts all-zero at generation 0. */
  readonly generation: number;
  /**
   * Applies a packet (borrowed during the call) to the framebuffer and returns the rectangles it
   * changed (a keyframe reports the whole frame). A packet that fails validation leaves the
   * framebuffer and generation untouched; the one later failure (E_CODEC_CORRUPT, an entropy stream
   * running far past its end) leaves the framebuffer unspecified: ask the sender for a keyframe.
   */
  decode(packet: Uint8Array): { rects: Rect[] };
  /** A copy of the framebuffer (BGRA, width*height*4 bytes). */
  frame(): Buffer;
  /** A keyframe packet of the current framebuffer, for a viewer that joins now. */
  keyframe(): Buffer;
  /**
   * A packet that brings a viewer from generation `generation` of this decoder to its current
   * framebuffer: every tile changed since then, intra-coded. This is how the gateway merges the
   * packets a lagging viewer missed into one. Throws E_CODEC_ARGUMENT for a future generation.
   */
  deltaSince(generation: number): Buffer;
}

export declare const FORMAT_VERSION: number;
