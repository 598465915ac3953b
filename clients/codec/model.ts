/**
 * Context model state, the mirror of native/src/model.rs (see docs/codec.md, "Pixel coding"), as the encoder
 * keeps it (the decoder lays the same tables out in one array: stream-decoder.ts).
 */
/** A probability's initial value (12-bit, 2048 = one half), as in native/src/rangecoder.rs. */
export const PROB_INIT = 2048;

export const KIND_L = 0;
export const KIND_U = 1;
export const KIND_O = 2;
export const KIND_CACHE = 3;
export const KIND_LIT = 4;
export const KIND_M = 5;
export const CTX = 6 * 32;
export const CACHE_BITS = 6;
export const MATCH_BITS = 16;

export class Model {
  readonly isL = new Uint16Array(CTX).fill(PROB_INIT);
  readonly isU = new Uint16Array(CTX).fill(PROB_INIT);
  readonly isO = new Uint16Array(CTX).fill(PROB_INIT);
  readonly isCache = new Uint16Array(CTX).fill(PROB_INIT);
  readonly isM = new Uint16Array(CTX).fill(PROB_INIT);
  readonly cacheIdx = new Uint16Array(1 << CACHE_BITS).fill(PROB_INIT);
  readonly lit = [0, 1, 2, 3].map(() => new Uint16Array(256).fill(PROB_INIT));
  readonly cache = new Uint32Array(1 << CACHE_BITS);
  /** Neighbourhood hash -> pixel that last followed it (candidate M). */
  readonly seen = new Uint32Array(1 << MATCH_BITS);
}

export function matchSlot(l: number, u: number, ul: number, ur: number): number {
  const h = (Math.imul(l, 0x9e3779b1) ^ Math.imul(u, 0x85ebca77) ^ Math.imul(ul, 0xc2b2ae3d) ^ Math.imul(ur, 0x27d4eb2f)) >>> 0;
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> (32 - MATCH_BITS);
}

export function cacheSlot(p: number): number {
  return Math.imul(p, 0x1e35a7bd) >>> (32 - CACHE_BITS);
}
