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

/**
 * The decoder's layout of the same probabilities in one table (stream-decoder.ts): the yes/no decisions' CTX
 * contexts each, in the order a pixel is coded (L, M, U, O, cache; decision n at n*CTX), then the cache index tree,
 * then the four literal trees of 256. Written as numbers, not expressions, because esbuild inlines an imported
 * constant only when it is a literal, and a module variable is a load V8 repeats on every use in the pixel loop
 * (decoder.test.ts checks them against the expressions). The probabilities adapt by 1/16 (a shift of 4) out of 4096.
 */
export const DECISIONS = 5;
/** DECISIONS * CTX */
export const CACHE_TREE = 960;
/** CACHE_TREE + 2^CACHE_BITS */
export const LIT_TREES = 1024;
/** LIT_TREES + 4 * 256 */
export const PROBS = 2048;

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
