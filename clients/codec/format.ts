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

export interface CopyOp {
  sx: number;
  sy: number;
  w: number;
  h: number;
  dx: number;
  dy: number;
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

export interface Stream {
  tiles: number;
  start: number;
  end: number;
}

export interface Packet {
  flags: number;
  copies: CopyOp[];
  tiles: TileEntry[];
  streams: Stream[];
}

export function geometry(width: number, height: number): Geometry {
  return { width, height, tilesX: Math.ceil(width / TILE), tilesY: Math.ceil(height / TILE) };
}

class Reader {
  pos: number;
  constructor(
    readonly data: Uint8Array,
    pos: number,
  ) {
    this.pos = pos;
  }
  remaining(): number {
    return this.data.length - this.pos;
  }
  u8(): number {
    if (this.pos >= this.data.length) throw new CodecError('E_CODEC_TRUNCATED', 'packet ends inside a field');
    return this.data[this.pos++]!;
  }
  u32le(): number {
    let v = 0;
    for (let i = 0; i < 4; i++) v += this.u8() * 2 ** (8 * i);
    return v;
  }
  varint(): number {
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

function tileRect(g: Geometry, t: number): { x: number; y: number; w: number; h: number } {
  const x = (t % g.tilesX) * TILE;
  const y = Math.floor(t / g.tilesX) * TILE;
  return { x, y, w: Math.min(TILE, g.width - x), h: Math.min(TILE, g.height - y) };
}

export function parsePacket(g: Geometry, data: Uint8Array): Packet {
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
  const r = new Reader(data, 9);
  const body = r.u32le();
  const sum = r.u32le();
  if (body > data.length - HEADER_LEN) {
    throw new CodecError('E_CODEC_TRUNCATED', `body of ${body} bytes declared, ${data.length - HEADER_LEN} present`);
  }
  if (body < data.length - HEADER_LEN) throw new CodecError('E_CODEC_CORRUPT', 'trailing bytes after the packet body');
  if (checksum(data, HEADER_LEN, data.length) !== sum) throw new CodecError('E_CODEC_CORRUPT', 'checksum mismatch');

  const ncopies = r.varint();
  if (ncopies > Math.floor(r.remaining() / 6)) {
    throw new CodecError('E_CODEC_TRUNCATED', `${ncopies} copies cannot fit in the packet`);
  }
  const copies: CopyOp[] = [];
  // Bounds the memmove work a hostile packet can ask for (encoders stay within twice the frame).
  const maxArea = 2 * g.width * g.height;
  let area = 0;
  for (let i = 0; i < ncopies; i++) {
    const c: CopyOp = { sx: r.varint(), sy: r.varint(), w: r.varint(), h: r.varint(), dx: r.varint(), dy: r.varint() };
    const inBounds =
      c.w >= 1 && c.h >= 1 && c.sx + c.w <= g.width && c.dx + c.w <= g.width && c.sy + c.h <= g.height && c.dy + c.h <= g.height;
    if (!inBounds) throw new CodecError('E_CODEC_CORRUPT', 'copy outside the frame');
    area += c.w * c.h;
    if (area > maxArea) throw new CodecError('E_CODEC_CORRUPT', 'copies move more than twice the frame area');
    copies.push(c);
  }

  const tileCount = g.tilesX * g.tilesY;
  const ntiles = r.varint();
  if (ntiles > tileCount) throw new CodecError('E_CODEC_CORRUPT', `${ntiles} tiles but the frame has ${tileCount}`);
  if (ntiles > Math.floor(r.remaining() / 6)) {
    throw new CodecError('E_CODEC_TRUNCATED', `${ntiles} tiles cannot fit in the packet`);
  }
  const tiles: TileEntry[] = [];
  let next = 0;
  let coded = 0;
  for (let i = 0; i < ntiles; i++) {
    const index = next + r.varint();
    if (index >= tileCount) throw new CodecError('E_CODEC_CORRUPT', 'tile index outside the frame');
    next = index + 1;
    const mode = r.u8();
    const x0 = r.u8();
    const y0 = r.u8();
    const w1 = r.u8() + 1;
    const h1 = r.u8() + 1;
    const base = tileRect(g, index);
    if (x0 + w1 > base.w || y0 + h1 > base.h || w1 > TILE || h1 > TILE) {
      throw new CodecError('E_CODEC_CORRUPT', `tile ${index} rectangle exceeds the tile`);
    }
    let solid: number | undefined;
    if (mode === 0) coded++;
    else if (mode === 1) solid = r.u32le();
    else throw new CodecError('E_CODEC_CORRUPT', `unknown tile mode ${mode}`);
    tiles.push({ index, x: base.x + x0, y: base.y + y0, w: w1, h: h1, solid });
  }

  const nstreams = r.varint();
  if (nstreams > coded || nstreams > MAX_STREAMS || (coded > 0 && nstreams === 0)) {
    throw new CodecError('E_CODEC_CORRUPT', `${nstreams} streams for ${coded} coded tiles`);
  }
  const dir: { n: number; len: number }[] = [];
  let inStreams = 0;
  let total = 0;
  for (let i = 0; i < nstreams; i++) {
    const n = r.varint();
    const len = r.varint();
    if (n === 0) throw new CodecError('E_CODEC_CORRUPT', 'empty stream');
    inStreams += n;
    total += len;
    dir.push({ n, len });
  }
  if (inStreams !== coded) {
    throw new CodecError('E_CODEC_CORRUPT', `streams cover ${inStreams} tiles, packet has ${coded} coded tiles`);
  }
  if (total > r.remaining()) throw new CodecError('E_CODEC_TRUNCATED', 'packet ends inside the streams');
  if (total < r.remaining()) throw new CodecError('E_CODEC_CORRUPT', 'trailing bytes after the streams');
  const streams: Stream[] = [];
  let pos = r.pos;
  for (const d of dir) {
    streams.push({ tiles: d.n, start: pos, end: pos + d.len });
    pos += d.len;
  }
  return { flags, copies, tiles, streams };
}

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
