import { createHash } from 'node:crypto';
import { opaqueRgba } from '../../codec/test/opaque-rgba.js';

/** SHA-256 of a BGRA frame as the console's canvas holds it: RGBA, opaque (what relaydeskProbe.snapshot hashes). */
export function canvasSha256(bgra: Uint8Array): string {
  return createHash('sha256').update(opaqueRgba(bgra)).digest('hex');
}
