/** Context model state, the mirror of native/src/model.rs (see docs/codec.md, "Pixel coding"). */
import { PROB_INIT } from './rangecoder.js';

export const KIND_L = 0;
export const KIND_U = 1;
export const KIND_O = 2;
export const KIND_CACHE = 3;
export const KIND_LIT = 4;
export const CTX = 5 * 8;
export const CACHE_BITS = 6;

export class Model {
  readonly isL = new Uint16Array(CTX).fill(PROB_INIT);
  readonly isU = new Uint16Array(CTX).fill(PROB_INIT);
  readonly isO = new Uint16Array(CTX).fill(PROB_INIT);
  readonly isCache = new Uint16Array(CTX).fill(PROB_INIT);
  readonly cacheIdx = new Uint16Array(1 << CACHE_BITS).fill(PROB_INIT);
  readonly lit = [0, 1, 2, 3].map(() => new Uint16Array(256).fill(PROB_INIT));
  readonly cache = new Uint32Array(1 << CACHE_BITS);
}

export function cacheSlot(p: number): number {
  return Math.imul(p, 0x1e35a7bd) >>> (32 - CACHE_BITS);
}
