/**
 * Binary range decoder, the mirror of native/src/rangecoder.rs. All state stays in [0, 2^32):
 * `range >>> 12` is below 2^20 and probabilities below 2^12, so products are exact doubles.
 */
export const PROB_INIT = 2048;
const ADAPT_SHIFT = 4;
const TOP = 1 << 24;

export class RangeDecoder {
  private pos: number;
  private range = 0xffffffff;
  private code = 0;
  /** Bytes read past the end (zeros); see docs/codec.md on trimmed streams. */
  overrun = 0;

  constructor(
    private readonly data: Uint8Array,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
    for (let i = 0; i < 4; i++) this.code = ((this.code << 8) | this.next()) >>> 0;
  }

  private next(): number {
    if (this.pos < this.end) return this.data[this.pos++]!;
    this.overrun++;
    return 0;
  }

  bit(probs: Uint16Array, i: number): number {
    const p = probs[i]!;
    const bound = (this.range >>> 12) * p;
    let bit: number;
    if (this.code < bound) {
      this.range = bound;
      probs[i] = p + ((4096 - p) >>> ADAPT_SHIFT);
      bit = 0;
    } else {
      this.code -= bound;
      this.range -= bound;
      probs[i] = p - (p >>> ADAPT_SHIFT);
      bit = 1;
    }
    while (this.range < TOP) {
      this.range = (this.range << 8) >>> 0;
      this.code = ((this.code << 8) | this.next()) >>> 0;
    }
    return bit;
  }

  tree(probs: Uint16Array, nbits: number): number {
    let node = 1;
    for (let i = 0; i < nbits; i++) node = (node << 1) | this.bit(probs, node);
    return node - (1 << nbits);
  }
}
