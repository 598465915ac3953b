/** Packet checksum, bit-identical to native/src/checksum.rs (see docs/codec.md, "Checksum"). */
export function checksum(data: Uint8Array, start: number, end: number): number {
  const len = end - start;
  let h = (0x811c9dc5 ^ len) >>> 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const w = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
    h = Math.imul(h ^ w, 0x01000193);
    h = ((h << 13) | (h >>> 19)) >>> 0;
  }
  for (; i < end; i++) h = Math.imul(h ^ data[i]!, 0x01000193) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  h = Math.imul(h, 0x2c1b3c6d) >>> 0;
  h = (h ^ (h >>> 12)) >>> 0;
  return h;
}
