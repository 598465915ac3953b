import { createHash } from 'node:crypto';

/** SHA-256 of a BGRA frame as the console's canvas holds it: RGBA, opaque (what relaydeskProbe.snapshot hashes). */
export function canvasSha256(bgra: Uint8Array): string {
  const rgba = Buffer.allocUnsafe(bgra.length);
  for (let i = 0; i < bgra.length; i += 4) {
    rgba[i] = bgra[i + 2]!;
    rgba[i + 1] = bgra[i + 1]!;
    rgba[i + 2] = bgra[i]!;
    rgba[i + 3] = 255;
  }
  return createHash('sha256').update(rgba).digest('hex');
}
