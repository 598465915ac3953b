import { deflateSync } from 'node:zlib';
import { crc32 } from '../../../protocol/crc32.js';

/** A decoded screen picture: BGRA, width·height·4 bytes (the codec's layout, docs/codec.md). */
export interface Picture {
  width: number;
  height: number;
  bgra: Uint8Array;
}

/** Binary PPM (P6): the simplest lossless picture any viewer opens; RGB, no alpha. */
export function encodePpm(p: Picture): Buffer {
  const header = Buffer.from(`P6\n${p.width} ${p.height}\n255\n`, 'ascii');
  const rgb = Buffer.allocUnsafe(p.width * p.height * 3);
  for (let i = 0, o = 0; o < rgb.length; i += 4, o += 3) {
    rgb[o] = p.bgra[i + 2]!;
    rgb[o + 1] = p.bgra[i + 1]!;
    rgb[o + 2] = p.bgra[i]!;
  }
  return Buffer.concat([header, rgb]);
}

/** PNG (RFC 2083): 8-bit RGB, filter 0 on every row, one IDAT. The alpha byte of the screen is padding. */
export function encodePng(p: Picture): Buffer {
  const row = p.width * 3 + 1;
  const raw = Buffer.alloc(row * p.height);
  for (let y = 0; y < p.height; y++) {
    let o = y * row + 1; // byte 0 of each row: filter type 0 (none)
    for (let x = 0, i = y * p.width * 4; x < p.width; x++, i += 4, o += 3) {
      raw[o] = p.bgra[i + 2]!;
      raw[o + 1] = p.bgra[i + 1]!;
      raw[o + 2] = p.bgra[i]!;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(p.width, 0);
  ihdr.writeUInt32BE(p.height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.byteLength);
  out.writeUInt32BE(data.byteLength, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.byteLength)), 8 + data.byteLength);
  return out;
}

/** By the file name: `.png` or `.ppm`; null for anything else. */
export function encodePicture(p: Picture, fileName: string): Buffer | null {
  if (/\.png$/i.test(fileName)) return encodePng(p);
  if (/\.ppm$/i.test(fileName)) return encodePpm(p);
  return null;
}
