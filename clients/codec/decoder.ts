/**
 * Pure TypeScript decoder for relaydesk codec packets (browser-safe: no Node APIs). Produces the
 * same framebuffer as the native Decoder for every packet, and the same error codes for bad ones.
 * Pixels are handled as little-endian u32 (B | G<<8 | R<<16 | A<<24) through a Uint32Array view,
 * which assumes a little-endian host (every browser platform in use).
 */
import { CodecError } from './errors.js';
import { FLAG_INTRA, FLAG_KEYFRAME, TILE, geometry, parsePacket, type Geometry, type TileEntry } from './format.js';
import { CACHE_BITS, KIND_CACHE, KIND_L, KIND_LIT, KIND_M, KIND_O, KIND_U, Model, cacheSlot, matchSlot } from './model.js';
import { RangeDecoder } from './rangecoder.js';

export type Rect = [x: number, y: number, w: number, h: number];

const MAX_DIM = 16384;
/** Same slack as the native decoder: valid streams never come close. */
const MAX_OVERRUN = 4 + 64 * 1024;

export class Decoder {
  readonly width: number;
  readonly height: number;
  private readonly g: Geometry;
  private readonly bytes: Uint8Array;
  private readonly px: Uint32Array;
  private gen = 0;

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
    this.px = new Uint32Array(this.bytes.buffer);
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

  /** Applies a packet; returns the rectangles that changed. Throws CodecError on bad input. */
  decode(packet: Uint8Array): { rects: Rect[] } {
    if (!(packet instanceof Uint8Array)) throw new CodecError('E_CODEC_ARGUMENT', 'packet must be a Uint8Array');
    const g = this.g;
    const pkt = parsePacket(g, packet);
    const keyframe = (pkt.flags & FLAG_KEYFRAME) !== 0;
    const intra = (pkt.flags & FLAG_INTRA) !== 0;
    const rects: Rect[] = [];
    if (keyframe) {
      this.px.fill(0);
      rects.push([0, 0, g.width, g.height]);
    }
    const stride = g.width * 4;
    for (const c of pkt.copies) {
      // copyWithin is a memmove; row order keeps overlapping copies equal to a copy via a temporary.
      const len = c.w * 4;
      if (c.dy > c.sy) {
        for (let r = c.h - 1; r >= 0; r--) {
          const s = (c.sy + r) * stride + c.sx * 4;
          this.bytes.copyWithin((c.dy + r) * stride + c.dx * 4, s, s + len);
        }
      } else {
        for (let r = 0; r < c.h; r++) {
          const s = (c.sy + r) * stride + c.sx * 4;
          this.bytes.copyWithin((c.dy + r) * stride + c.dx * 4, s, s + len);
        }
      }
      if (!keyframe) rects.push([c.dx, c.dy, c.w, c.h]);
    }
    let streamIdx = 0;
    let left = 0;
    let rd: RangeDecoder | undefined;
    let model: Model | undefined;
    let overrun = 0;
    for (const t of pkt.tiles) {
      if (t.solid !== undefined) {
        for (let y = t.y; y < t.y + t.h; y++) {
          const s = y * g.width + t.x;
          this.px.fill(t.solid, s, s + t.w);
        }
      } else {
        if (left === 0) {
          if (rd) overrun = Math.max(overrun, rd.overrun);
          const st = pkt.streams[streamIdx++]!;
          left = st.tiles;
          rd = new RangeDecoder(packet, st.start, st.end);
          model = new Model();
        }
        this.decodeRect(rd!, model!, intra, t);
        left--;
      }
      if (!keyframe) rects.push([t.x, t.y, t.w, t.h]);
    }
    if (rd) overrun = Math.max(overrun, rd.overrun);
    this.gen++;
    if (overrun > MAX_OVERRUN) throw new CodecError('E_CODEC_CORRUPT', 'entropy stream runs past its end');
    return { rects };
  }

  private decodeRect(rd: RangeDecoder, m: Model, intra: boolean, t: TileEntry): void {
    const px = this.px;
    const W = this.g.width;
    let kind = KIND_L;
    const lit = m.lit;
    const right = t.x + t.w;
    const seen = m.seen;
    for (let y = t.y; y < t.y + t.h; y++) {
      for (let x = t.x; x < right; x++) {
        const i = y * W + x;
        const l = x > 0 ? px[i - 1]! : y > 0 ? px[i - W]! : 0;
        const u = y > 0 ? px[i - W]! : l;
        const ul = x > 0 && y > 0 ? px[i - W - 1]! : u;
        // Up-right only inside the rectangle: further right the row above may not be final yet.
        const ur = y > 0 && x + 1 < right ? px[i - W + 1]! : u;
        const o = px[i]!;
        const oEqL = !intra && o === l;
        const ms = matchSlot(l, u, ul, ur);
        const mp = seen[ms]!;
        const ctx = kind * 32 + (l === u ? 1 : 0) + (u === ul ? 2 : 0) + (oEqL ? 4 : 0) + (mp === u ? 8 : 0) + (mp === l ? 16 : 0);
        let p: number;
        if (rd.bit(m.isL, ctx)) {
          p = l;
          kind = KIND_L;
        } else if (mp !== l && rd.bit(m.isM, ctx)) {
          p = mp;
          kind = KIND_M;
        } else if (u !== l && u !== mp && rd.bit(m.isU, ctx)) {
          p = u;
          kind = KIND_U;
        } else if (!intra && o !== l && o !== u && o !== mp && rd.bit(m.isO, ctx)) {
          p = o;
          kind = KIND_O;
        } else if (rd.bit(m.isCache, ctx)) {
          p = m.cache[rd.tree(m.cacheIdx, CACHE_BITS)]!;
          kind = KIND_CACHE;
        } else {
          const dg = rd.tree(lit[0]!, 8);
          const dr = rd.tree(lit[1]!, 8);
          const db = rd.tree(lit[2]!, 8);
          const da = rd.tree(lit[3]!, 8);
          const g = ((l >>> 8) + dg) & 0xff;
          const r = ((l >>> 16) + dr + dg) & 0xff;
          const b = (l + db + dg) & 0xff;
          const a = ((l >>> 24) + da) & 0xff;
          p = (b | (g << 8) | (r << 16) | (a << 24)) >>> 0;
          m.cache[cacheSlot(p)] = p;
          kind = KIND_LIT;
        }
        seen[ms] = p;
        px[i] = p;
      }
    }
  }
}

export { TILE };
