/**
 * Packet parsing, the mirror of native/src/format.rs: same checks in the same order, so a bad
 * packet gets the same error code from both decoders. Every count is bounded by the bytes present
 * before anything is allocated for it.
 */
import { checksum } from './checksum.js';
import { CodecError } from './errors.js';

export const MAGIC = [0x52, 0x44, 0x43]; // "RDC"
export const VERSION = 1;
export const HEADER_LEN = 17;
export const FLAG_KEYFRAME = 1;
export const FLAG_INTRA = 2;
export const TILE = 64;
/** Streams per packet (bounds the model resets a hostile packet can demand). */
export const MAX_STREAMS = 64;

export interface Geometry {
  width: number;
  height: number;
  tilesX: number;
  tilesY: number;
}

export interface TileEntry {
  index: number;
  x: number;
  y: number;
  w: number;
  h: number;
  /** undefined: coded in a stream; otherwise the solid BGRA colour as a little-endian u32. */
  solid: number | undefined;
}

export function geometry(width: number, height: number): Geometry {
  return { width, height, tilesX: Math.ceil(width / TILE), tilesY: Math.ceil(height / TILE) };
}

/**
 * A parsed packet, in typed arrays that one decoder reuses for every packet (no allocation per packet once
 * the largest copy list has been seen). `parse` checks everything before the decoder writes a pixel.
 */
export class PacketLayout {
  flags = 0;
  copyCount = 0;
  /** sx, sy, w, h, dx, dy per copy. */
  copies = new Int32Array(0);
  tileCount = 0;
  /** x, y, w, h, mode (0 coded, 1 solid), solid colour (int32 bits of the little-endian u32) per tile. */
  readonly tiles: Int32Array;
  streamCount = 0;
  /** tiles, start, end per stream (offsets in the packet). */
  readonly streams = new Int32Array(3 * MAX_STREAMS);
  private data: Uint8Array = new Uint8Array(0);
  private pos = 0;

  constructor(private readonly g: Geometry) {
    this.tiles = new Int32Array(6 * g.tilesX * g.tilesY);
  }

  parse(data: Uint8Array): void {
    const g = this.g;
    const magicOk = data[0] === MAGIC[0] && data[1] === MAGIC[1] && data[2] === MAGIC[2];
    if (data.length < HEADER_LEN) {
      if (data.length >= 3 && !magicOk) throw new CodecError('E_CODEC_BAD_MAGIC', 'not a relaydesk codec packet');
      throw new CodecError('E_CODEC_TRUNCATED', `packet of ${data.length} bytes is shorter than the header`);
    }
    if (!magicOk) throw new CodecError('E_CODEC_BAD_MAGIC', 'not a relaydesk codec packet');
    if (data[3] !== VERSION) throw new CodecError('E_CODEC_VERSION', `packet version ${data[3]} (this decoder reads ${VERSION})`);
    const flags = data[4]!;
    if ((flags & ~(FLAG_KEYFRAME | FLAG_INTRA)) !== 0) throw new CodecError('E_CODEC_CORRUPT', `unknown flags ${flags}`);
    const w = data[5]! | (data[6]! << 8);
    const h = data[7]! | (data[8]! << 8);
    if (w !== g.width || h !== g.height) {
      throw new CodecError('E_CODEC_DIMENSIONS', `packet is ${w}x${h}, decoder is ${g.width}x${g.height}`);
    }
    this.data = data;
    this.pos = 9;
    const body = this.u32le();
    const sum = this.u32le();
    if (body > data.length - HEADER_LEN) {
      throw new CodecError('E_CODEC_TRUNCATED', `body of ${body} bytes declared, ${data.length - HEADER_LEN} present`);
    }
    if (body < data.length - HEADER_LEN) throw new CodecError('E_CODEC_CORRUPT', 'trailing bytes after the packet body');
    if (checksum(data, HEADER_LEN, data.length) !== sum) throw new CodecError('E_CODEC_CORRUPT', 'checksum mismatch');

    const ncopies = this.varint();
    if (ncopies > Math.floor(this.remaining() / 6)) {
      throw new CodecError('E_CODEC_TRUNCATED', `${ncopies} copies cannot fit in the packet`);
    }
    // Bounded by the packet's length (checked just above).
    if (this.copies.length < 6 * ncopies) this.copies = new Int32Array(Math.max(6 * ncopies, 2 * this.copies.length));
    const copies = this.copies;
    // Bounds the memmove work a hostile packet can ask for (encoders stay within twice the frame).
    const maxArea = 2 * g.width * g.height;
    let area = 0;
    for (let i = 0; i < ncopies; i++) {
      const sx = this.varint(), sy = this.varint(), cw = this.varint(), ch = this.varint(), dx = this.varint(), dy = this.varint();
      const inBounds = cw >= 1 && ch >= 1 && sx + cw <= g.width && dx + cw <= g.width && sy + ch <= g.height && dy + ch <= g.height;
      if (!inBounds) throw new CodecError('E_CODEC_CORRUPT', 'copy outside the frame');
      area += cw * ch;
      if (area > maxArea) throw new CodecError('E_CODEC_CORRUPT', 'copies move more than twice the frame area');
      const o = 6 * i;
      copies[o] = sx;
      copies[o + 1] = sy;
      copies[o + 2] = cw;
      copies[o + 3] = ch;
      copies[o + 4] = dx;
      copies[o + 5] = dy;
    }

    const tileCount = g.tilesX * g.tilesY;
    const ntiles = this.varint();
    if (ntiles > tileCount) throw new CodecError('E_CODEC_CORRUPT', `${ntiles} tiles but the frame has ${tileCount}`);
    if (ntiles > Math.floor(this.remaining() / 6)) {
      throw new CodecError('E_CODEC_TRUNCATED', `${ntiles} tiles cannot fit in the packet`);
    }
    const tiles = this.tiles;
    let next = 0;
    let coded = 0;
    for (let i = 0; i < ntiles; i++) {
      const index = next + this.varint();
      if (index >= tileCount) throw new CodecError('E_CODEC_CORRUPT', 'tile index outside the frame');
      next = index + 1;
      const mode = this.u8();
      const x0 = this.u8();
      const y0 = this.u8();
      const w1 = this.u8() + 1;
      const h1 = this.u8() + 1;
      const bx = (index % g.tilesX) * TILE;
      const by = Math.floor(index / g.tilesX) * TILE;
      if (x0 + w1 > Math.min(TILE, g.width - bx) || y0 + h1 > Math.min(TILE, g.height - by) || w1 > TILE || h1 > TILE) {
        throw new CodecError('E_CODEC_CORRUPT', `tile ${index} rectangle exceeds the tile`);
      }
      let solid = 0;
      if (mode === 0) coded++;
      else if (mode === 1) solid = this.u32le() | 0;
      else throw new CodecError('E_CODEC_CORRUPT', `unknown tile mode ${mode}`);
      const o = 6 * i;
      tiles[o] = bx + x0;
      tiles[o + 1] = by + y0;
      tiles[o + 2] = w1;
      tiles[o + 3] = h1;
      tiles[o + 4] = mode;
      tiles[o + 5] = solid;
    }

    const nstreams = this.varint();
    if (nstreams > coded || nstreams > MAX_STREAMS || (coded > 0 && nstreams === 0)) {
      throw new CodecError('E_CODEC_CORRUPT', `${nstreams} streams for ${coded} coded tiles`);
    }
    const streams = this.streams;
    let inStreams = 0;
    let total = 0;
    for (let i = 0; i < nstreams; i++) {
      const n = this.varint();
      const len = this.varint();
      if (n === 0) throw new CodecError('E_CODEC_CORRUPT', 'empty stream');
      inStreams += n;
      total += len;
      streams[3 * i] = n;
      streams[3 * i + 2] = len; // lengths for now, offsets below once the directory is known to fit
    }
    if (inStreams !== coded) {
      throw new CodecError('E_CODEC_CORRUPT', `streams cover ${inStreams} tiles, packet has ${coded} coded tiles`);
    }
    if (total > this.remaining()) throw new CodecError('E_CODEC_TRUNCATED', 'packet ends inside the streams');
    if (total < this.remaining()) throw new CodecError('E_CODEC_CORRUPT', 'trailing bytes after the streams');
    let pos = this.pos;
    for (let i = 0; i < nstreams; i++) {
      const len = streams[3 * i + 2]!;
      streams[3 * i + 1] = pos;
      streams[3 * i + 2] = pos + len;
      pos += len;
    }
    this.flags = flags;
    this.copyCount = ncopies;
    this.tileCount = ntiles;
    this.streamCount = nstreams;
    this.data = EMPTY; // the packet is the caller's: do not keep it alive
  }

  private remaining(): number {
    return this.data.length - this.pos;
  }
  private u8(): number {
    if (this.pos >= this.data.length) throw new CodecError('E_CODEC_TRUNCATED', 'packet ends inside a field');
    return this.data[this.pos++]!;
  }
  private u32le(): number {
    let v = 0;
    for (let i = 0; i < 4; i++) v += this.u8() * 2 ** (8 * i);
    return v;
  }
  private varint(): number {
    let v = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.u8();
      if (i === 4 && b > 0x0f) throw new CodecError('E_CODEC_CORRUPT', 'varint overflows 32 bits');
      v += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return v;
    }
    throw new CodecError('E_CODEC_CORRUPT', 'varint longer than 5 bytes');
  }
}

const EMPTY: Uint8Array = new Uint8Array(0);

/** What a relay needs from a packet without decoding it (no body or checksum check). */
export interface PacketSummary {
  keyframe: boolean;
  width: number;
  height: number;
}

/**
 * Reads the header fields a relay routes by: null when the bytes are not a version-1 packet header.
 * Cheap (a few byte reads), so the gateway can refuse a frame whose screen header and codec packet
 * disagree (a "keyframe" that is really a delta would corrupt every viewer it reached).
 */
export function summarizePacket(data: Uint8Array): PacketSummary | null {
  if (data.length < HEADER_LEN || data[0] !== MAGIC[0] || data[1] !== MAGIC[1] || data[2] !== MAGIC[2] || data[3] !== VERSION) return null;
  const flags = data[4]!;
  if ((flags & ~(FLAG_KEYFRAME | FLAG_INTRA)) !== 0) return null;
  return { keyframe: (flags & FLAG_KEYFRAME) !== 0, width: data[5]! | (data[6]! << 8), height: data[7]! | (data[8]! << 8) };
}
