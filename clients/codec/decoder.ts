/**
 * Pure TypeScript decoder for relaydesk codec packets (browser-safe: no Node APIs). Produces the
 * same framebuffer as the native Decoder for every packet, and the same error codes for bad ones.
 * Pixels are handled as little-endian 32-bit values (B | G<<8 | R<<16 | A<<24) through an Int32Array
 * view, which assumes a little-endian host (every browser platform in use).
 *
 * Nothing is allocated per packet on the `apply` path (the console's): the parsed packet, the model
 * and the changed rectangles live in typed arrays the decoder keeps.
 */
import { CodecError } from './errors.js';
import { FLAG_INTRA, FLAG_KEYFRAME, PacketLayout, TILE, geometry, type Geometry } from './format.js';
import { StreamDecoder } from './stream-decoder.js';

export type Rect = [x: number, y: number, w: number, h: number];

const MAX_DIM = 16384;
/** Same slack as the native decoder: valid streams never come close. */
const MAX_OVERRUN = 4 + 64 * 1024;

export class Decoder {
  readonly width: number;
  readonly height: number;
  private readonly g: Geometry;
  private readonly bytes: Uint8Array;
  private readonly px: Int32Array;
  private readonly layout: PacketLayout;
  private readonly streams: StreamDecoder;
  private changed = new Int32Array(0);
  private changedCount = 0;
  private gen = 0;
  /** The last apply() went through (so the parsed layout describes what changed). */
  private applied = false;

  constructor(width: number, height: number) {
    for (const [name, v] of [
      ['width', width],
      ['height', height],
    ] as const) {
      if (!Number.isInteger(v) || v < 1 || v > MAX_DIM) {
        throw new CodecError('E_CODEC_ARGUMENT', `${name} must be an integer in 1..=${MAX_DIM}`);
      }
    }
    this.width = width;
    this.height = height;
    this.g = geometry(width, height);
    this.bytes = new Uint8Array(width * height * 4);
    this.px = new Int32Array(this.bytes.buffer);
    this.layout = new PacketLayout(this.g);
    this.streams = new StreamDecoder(this.px, width);
  }

  /** Packets applied so far (as the native Decoder's `generation`). */
  get generation(): number {
    return this.gen;
  }

  /**
   * The framebuffer (BGRA, width*height*4). Borrowed: it is the decoder's own memory and changes
   * with the next decode(); copy it (`.slice()`) to keep a frame.
   */
  frame(): Uint8Array {
    return this.bytes;
  }

  /**
   * The rectangles the last apply() changed: x, y, w, h for each of the first `apply()` rectangles.
   * Borrowed, like frame(): valid until the next packet.
   */
  get damage(): Int32Array {
    return this.changed;
  }

  /** Applies a packet; returns the rectangles that changed. Throws CodecError on bad input. */
  decode(packet: Uint8Array): { rects: Rect[] } {
    const n = this.apply(packet);
    const d = this.changed;
    const rects: Rect[] = [];
    for (let i = 0; i < 4 * n; i += 4) rects.push([d[i]!, d[i + 1]!, d[i + 2]!, d[i + 3]!]);
    return { rects };
  }

  /**
   * Applies a packet without allocating; returns how many rectangles changed (read them from `damage`),
   * in the order decode() reports them. Throws CodecError on bad input.
   */
  apply(packet: Uint8Array): number {
    if (!(packet instanceof Uint8Array)) throw new CodecError('E_CODEC_ARGUMENT', 'packet must be a Uint8Array');
    const layout = this.layout;
    this.applied = false;
    layout.parse(packet);
    const keyframe = (layout.flags & FLAG_KEYFRAME) !== 0;
    const intra = (layout.flags & FLAG_INTRA) !== 0;
    const W = this.g.width;
    const px = this.px;
    const most = keyframe ? 1 : layout.copyCount + layout.tileCount;
    if (this.changed.length < 4 * most) this.changed = new Int32Array(Math.max(4 * most, 2 * this.changed.length));
    this.changedCount = 0;
    if (keyframe) {
      px.fill(0);
      this.report(0, 0, W, this.g.height);
    }
    const copies = layout.copies;
    for (let c = 0; c < 6 * layout.copyCount; c += 6) {
      const sx = copies[c]!, sy = copies[c + 1]!, w = copies[c + 2]!, h = copies[c + 3]!, dx = copies[c + 4]!, dy = copies[c + 5]!;
      copyRect(px, W, sx, sy, w, h, dx, dy);
      if (!keyframe) this.report(dx, dy, w, h);
    }
    const tiles = layout.tiles;
    const streams = this.streams;
    let stream = 0;
    let left = 0;
    let overrun = 0;
    for (let t = 0; t < 6 * layout.tileCount; t += 6) {
      const x = tiles[t]!, y = tiles[t + 1]!, w = tiles[t + 2]!, h = tiles[t + 3]!;
      if (tiles[t + 4] === 1) {
        const colour = tiles[t + 5]!;
        for (let s = y * W + x, e = (y + h) * W; s < e; s += W) px.fill(colour, s, s + w);
      } else {
        if (left === 0) {
          if (stream > 0) overrun = Math.max(overrun, streams.overrun);
          const st = layout.streams;
          left = st[3 * stream]!;
          streams.open(packet, st[3 * stream + 1]!, st[3 * stream + 2]!);
          stream++;
        }
        streams.rect(x, y, w, h, intra);
        left--;
      }
      if (!keyframe) this.report(x, y, w, h);
    }
    if (stream > 0) overrun = Math.max(overrun, streams.overrun);
    this.gen++;
    if (overrun > MAX_OVERRUN) throw new CodecError('E_CODEC_CORRUPT', 'entropy stream runs past its end');
    this.applied = true;
    return this.changedCount;
  }

  /**
   * Brings `rgba` up to date with the last apply(): an opaque RGBA copy of the framebuffer (an ImageData's
   * pixels through an Int32Array, for putImageData) that was current before that packet. Only what the
   * packet changed is written: its copies are replayed as memmoves, solid tiles as fills, coded tiles
   * converted from the framebuffer (alpha forced to 255: screens have none, and a canvas would
   * premultiply it). `full` (and a keyframe, or a failed apply) converts the whole frame: for an `rgba` not
   * known to be current.
   */
  updateRgba(rgba: Int32Array, full = false): void {
    if (rgba.length !== this.width * this.height) throw new CodecError('E_CODEC_ARGUMENT', 'rgba must hold width*height pixels');
    const layout = this.layout;
    const W = this.width;
    if (full || !this.applied || (layout.flags & FLAG_KEYFRAME) !== 0) return toOpaqueRgba(this.px, rgba, 0, 0, W, this.height, W);
    const c = layout.copies;
    for (let i = 0; i < 6 * layout.copyCount; i += 6) copyRect(rgba, W, c[i]!, c[i + 1]!, c[i + 2]!, c[i + 3]!, c[i + 4]!, c[i + 5]!);
    const t = layout.tiles;
    for (let i = 0; i < 6 * layout.tileCount; i += 6) {
      const x = t[i]!, y = t[i + 1]!, w = t[i + 2]!, h = t[i + 3]!;
      if (t[i + 4] === 1) {
        const colour = opaqueRgba(t[i + 5]!);
        for (let s = y * W + x, e = (y + h) * W; s < e; s += W) rgba.fill(colour, s, s + w);
      } else {
        toOpaqueRgba(this.px, rgba, x, y, w, h, W);
      }
    }
  }

  private report(x: number, y: number, w: number, h: number): void {
    const o = 4 * this.changedCount++;
    const d = this.changed;
    d[o] = x;
    d[o + 1] = y;
    d[o + 2] = w;
    d[o + 3] = h;
  }
}

/**
 * Copies a w×h rectangle of 4-byte pixels from (sx, sy) to (dx, dy) inside one frame `W` pixels wide, as if
 * through a temporary (docs/codec.md, "Applying a packet").
 */
function copyRect(px: Int32Array, W: number, sx: number, sy: number, w: number, h: number, dx: number, dy: number): void {
  // copyWithin is a memmove; row order keeps overlapping copies equal to a copy via a temporary.
  // Full-width rows (a scrolled screen) are one contiguous block: one memmove.
  const rows = w === W ? 1 : h;
  const len = w === W ? h * W : w;
  const down = dy > sy;
  for (let k = 0; k < rows; k++) {
    const r = down ? rows - 1 - k : k;
    const s = (sy + r) * W + sx;
    px.copyWithin((dy + r) * W + dx, s, s + len);
  }
}

/** A BGRA pixel (little-endian int32) as opaque RGBA. */
function opaqueRgba(p: number): number {
  return ((p >>> 16) & 0xff) | (p & 0xff00) | ((p & 0xff) << 16) | -0x1000000;
}

function toOpaqueRgba(bgra: Int32Array, rgba: Int32Array, x: number, y: number, w: number, h: number, W: number): void {
  for (let row = y; row < y + h; row++) {
    for (let i = row * W + x, e = i + w; i < e; i++) rgba[i] = opaqueRgba(bgra[i]!);
  }
}

export { TILE };
