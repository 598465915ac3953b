/**
 * Pure TypeScript encoder for relaydesk codec packets (browser-safe), for the customer's browser page,
 * which cannot run the native encoder. It writes the same format (docs/codec.md) with a subset of the
 * native encoder's tools: changed-rectangle detection per 64×64 tile, solid tiles, and the same context
 * model and range coder, in one stream. No scroll or window-move detection and no threads: packets are
 * larger and encoding slower than native on motion (bench/console measures by how much).
 *
 * Neighbours are read from the new frame: wherever the decoder looks (left, above, up-right inside the
 * rectangle) its framebuffer already holds the new pixels, either decoded earlier in this packet (tiles go
 * in raster order) or unchanged. Assumes a little-endian host, as the decoder does.
 */
import { checksum } from './checksum.js';
import { CodecError } from './errors.js';
import { FLAG_INTRA, FLAG_KEYFRAME, HEADER_LEN, MAGIC, TILE, VERSION, geometry, type Geometry, type TileEntry } from './format.js';
import { CACHE_BITS, KIND_CACHE, KIND_L, KIND_LIT, KIND_M, KIND_O, KIND_U, Model, cacheSlot, matchSlot } from './model.js';
import { RangeEncoder } from './rangecoder-encoder.js';

const MAX_DIM = 16384;

/** A tile as the packet lists it (format.ts): its changed rectangle, solid colour or coded. */
type CodedTile = TileEntry;

export class Encoder {
  readonly width: number;
  readonly height: number;
  private readonly g: Geometry;
  /** What the decoder's framebuffer holds after our last packet. */
  private readonly ref: Uint32Array;
  private started = false;

  constructor(width: number, height: number) {
    for (const [name, v] of [
      ['width', width],
      ['height', height],
    ] as const) {
      if (!Number.isInteger(v) || v < 1 || v > MAX_DIM) throw new CodecError('E_CODEC_ARGUMENT', `${name} must be an integer in 1..=${MAX_DIM}`);
    }
    this.width = width;
    this.height = height;
    this.g = geometry(width, height);
    this.ref = new Uint32Array(width * height);
  }

  /**
   * Encodes one BGRA frame (width·height·4 bytes, borrowed for the call). The first frame and
   * `keyframe: true` give a keyframe; an unchanged frame gives a 20-byte packet.
   */
  encode(frame: Uint8Array, options: { keyframe?: boolean } = {}): Uint8Array {
    if (frame.byteLength !== this.width * this.height * 4) {
      throw new CodecError('E_CODEC_FRAME_SIZE', `frame is ${frame.byteLength} bytes, expected ${this.width * this.height * 4}`);
    }
    const px = frame.byteOffset % 4 === 0 ? new Uint32Array(frame.buffer, frame.byteOffset, this.width * this.height) : new Uint32Array(frame.slice().buffer);
    const keyframe = options.keyframe === true || !this.started;
    this.started = true;
    const tiles = this.changedTiles(px, keyframe);
    const flags = keyframe ? FLAG_KEYFRAME | FLAG_INTRA : 0;
    const coded = tiles.filter((t) => t.solid === undefined);
    let stream: Uint8Array = new Uint8Array(0);
    if (coded.length > 0) {
      const rc = new RangeEncoder(1 << 16);
      const model = new Model();
      for (const t of coded) this.encodeRect(rc, model, px, keyframe, t);
      stream = rc.finish();
    }
    for (const t of tiles) this.commit(px, t);
    return this.packet(flags, tiles, coded.length, stream);
  }

  /** Tiles whose pixels differ from the reference, each as its changed bounding box (whole tiles for a keyframe). */
  private changedTiles(px: Uint32Array, keyframe: boolean): CodedTile[] {
    const { tilesX, tilesY, width: W, height: H } = this.g;
    const ref = this.ref;
    const out: CodedTile[] = [];
    for (let ty = 0; ty < tilesY; ty++) {
      for (let tx = 0; tx < tilesX; tx++) {
        const x0 = tx * TILE;
        const y0 = ty * TILE;
        const x1 = Math.min(x0 + TILE, W);
        const y1 = Math.min(y0 + TILE, H);
        let minX = x1, maxX = -1, minY = y1, maxY = -1;
        if (keyframe) {
          minX = x0; maxX = x1 - 1; minY = y0; maxY = y1 - 1;
        } else {
          for (let y = y0; y < y1; y++) {
            const row = y * W;
            for (let x = x0; x < x1; x++) {
              if (px[row + x] !== ref[row + x]) {
                if (x < minX) minX = x;
                if (x > maxX) maxX = x;
                if (y < minY) minY = y;
                maxY = y;
              }
            }
          }
          if (maxX < 0) continue;
        }
        const w = maxX - minX + 1;
        const h = maxY - minY + 1;
        const first = px[minY * W + minX]!;
        let solid: number | undefined = first;
        for (let y = minY; y <= maxY && solid !== undefined; y++) {
          const row = y * W;
          for (let x = minX; x <= maxX; x++) {
            if (px[row + x] !== first) {
              solid = undefined;
              break;
            }
          }
        }
        out.push({ index: ty * tilesX + tx, x: minX, y: minY, w, h, solid });
      }
    }
    return out;
  }

  /** The decoder's decodeRect (decoder.ts), run as the encoder: same candidates, contexts and order. */
  private encodeRect(rc: RangeEncoder, m: Model, px: Uint32Array, intra: boolean, t: CodedTile): void {
    const W = this.width;
    const ref = this.ref;
    const lit = m.lit;
    const seen = m.seen;
    const right = t.x + t.w;
    let kind = KIND_L;
    for (let y = t.y; y < t.y + t.h; y++) {
      for (let x = t.x; x < right; x++) {
        const i = y * W + x;
        const p = px[i]!;
        const l = x > 0 ? px[i - 1]! : y > 0 ? px[i - W]! : 0;
        const u = y > 0 ? px[i - W]! : l;
        const ul = x > 0 && y > 0 ? px[i - W - 1]! : u;
        const ur = y > 0 && x + 1 < right ? px[i - W + 1]! : u;
        // The decoder's "old pixel": its framebuffer before this packet (zero after a keyframe's clear).
        const o = intra ? 0 : ref[i]!;
        const oEqL = !intra && o === l;
        const ms = matchSlot(l, u, ul, ur);
        const mp = seen[ms]!;
        const ctx = kind * 32 + (l === u ? 1 : 0) + (u === ul ? 2 : 0) + (oEqL ? 4 : 0) + (mp === u ? 8 : 0) + (mp === l ? 16 : 0);
        seen[ms] = p;
        rc.bit(m.isL, ctx, p === l ? 1 : 0);
        if (p === l) {
          kind = KIND_L;
          continue;
        }
        if (mp !== l) {
          rc.bit(m.isM, ctx, p === mp ? 1 : 0);
          if (p === mp) {
            kind = KIND_M;
            continue;
          }
        }
        if (u !== l && u !== mp) {
          rc.bit(m.isU, ctx, p === u ? 1 : 0);
          if (p === u) {
            kind = KIND_U;
            continue;
          }
        }
        if (!intra && o !== l && o !== u && o !== mp) {
          rc.bit(m.isO, ctx, p === o ? 1 : 0);
          if (p === o) {
            kind = KIND_O;
            continue;
          }
        }
        const slot = cacheSlot(p);
        const hit = m.cache[slot] === p;
        rc.bit(m.isCache, ctx, hit ? 1 : 0);
        if (hit) {
          rc.tree(m.cacheIdx, CACHE_BITS, slot);
          kind = KIND_CACHE;
          continue;
        }
        const dg = ((p >>> 8) - (l >>> 8)) & 0xff;
        const dr = ((p >>> 16) - (l >>> 16) - dg) & 0xff;
        const db = (p - l - dg) & 0xff;
        const da = ((p >>> 24) - (l >>> 24)) & 0xff;
        rc.tree(lit[0]!, 8, dg);
        rc.tree(lit[1]!, 8, dr);
        rc.tree(lit[2]!, 8, db);
        rc.tree(lit[3]!, 8, da);
        m.cache[slot] = p;
        kind = KIND_LIT;
      }
    }
  }

  private commit(px: Uint32Array, t: CodedTile): void {
    const W = this.width;
    for (let y = t.y; y < t.y + t.h; y++) this.ref.set(px.subarray(y * W + t.x, y * W + t.x + t.w), y * W + t.x);
  }

  private packet(flags: number, tiles: CodedTile[], coded: number, stream: Uint8Array): Uint8Array {
    const body = new ByteWriter(64 + tiles.length * 11 + stream.byteLength);
    body.varint(0); // copies: this encoder does not detect motion
    body.varint(tiles.length);
    let next = 0;
    for (const t of tiles) {
      body.varint(t.index - next);
      next = t.index + 1;
      const tx = (t.index % this.g.tilesX) * TILE;
      const ty = Math.floor(t.index / this.g.tilesX) * TILE;
      body.u8(t.solid === undefined ? 0 : 1);
      body.u8(t.x - tx);
      body.u8(t.y - ty);
      body.u8(t.w - 1);
      body.u8(t.h - 1);
      if (t.solid !== undefined) body.u32le(t.solid);
    }
    if (coded > 0) {
      body.varint(1);
      body.varint(coded);
      body.varint(stream.byteLength);
      body.bytes(stream);
    } else {
      body.varint(0);
    }
    const b = body.done();
    const out = new Uint8Array(HEADER_LEN + b.byteLength);
    out.set(MAGIC, 0);
    out[3] = VERSION;
    out[4] = flags;
    out[5] = this.width & 0xff;
    out[6] = this.width >>> 8;
    out[7] = this.height & 0xff;
    out[8] = this.height >>> 8;
    out.set(b, HEADER_LEN);
    const view = new DataView(out.buffer);
    view.setUint32(9, b.byteLength, true);
    view.setUint32(13, checksum(out, HEADER_LEN, out.byteLength), true);
    return out;
  }
}

class ByteWriter {
  private buf: Uint8Array;
  private len = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.len++] = v;
  }
  u32le(v: number): void {
    this.room(4);
    for (let i = 0; i < 4; i++) this.buf[this.len++] = (v >>> (8 * i)) & 0xff;
  }
  varint(v: number): void {
    do {
      const b = v & 0x7f;
      v = Math.floor(v / 128);
      this.u8(v > 0 ? b | 0x80 : b);
    } while (v > 0);
  }
  bytes(b: Uint8Array): void {
    this.room(b.byteLength);
    this.buf.set(b, this.len);
    this.len += b.byteLength;
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}
