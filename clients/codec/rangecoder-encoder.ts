/**
 * Binary range encoder, the mirror of RcEncoder in native/src/rangecoder.rs (the decoder's counterpart is
 * stream-decoder.ts). `low` needs 33 bits: it is kept in a double, exact below 2^53.
 */
const ADAPT_SHIFT = 4;
const TOP = 1 << 24;
const TWO_32 = 2 ** 32;

export class RangeEncoder {
  private low = 0;
  private range = 0xffffffff;
  private cache = 0;
  private cacheSize = 1;
  private out: Uint8Array;
  private len = 0;

  constructor(capacity = 4096) {
    this.out = new Uint8Array(capacity);
  }

  bit(probs: Uint16Array, i: number, bit: number): void {
    const p = probs[i]!;
    const bound = (this.range >>> 12) * p;
    if (bit === 0) {
      this.range = bound;
      probs[i] = p + ((4096 - p) >>> ADAPT_SHIFT);
    } else {
      this.low += bound;
      this.range -= bound;
      probs[i] = p - (p >>> ADAPT_SHIFT);
    }
    while (this.range < TOP) {
      this.range = (this.range << 8) >>> 0;
      this.shiftLow();
    }
  }

  /** `nbits` bits of `value`, most significant first, through a binary tree of probabilities. */
  tree(probs: Uint16Array, nbits: number, value: number): void {
    let node = 1;
    for (let i = nbits - 1; i >= 0; i--) {
      const b = (value >>> i) & 1;
      this.bit(probs, node, b);
      node = (node << 1) | b;
    }
  }

  /** Flushes; like the native encoder, drops the always-zero first byte and trailing zeros. */
  finish(): Uint8Array {
    for (let i = 0; i < 5; i++) this.shiftLow();
    let end = this.len;
    while (end > 0 && this.out[end - 1] === 0) end--;
    return end <= 1 ? new Uint8Array(0) : this.out.slice(1, end);
  }

  private shiftLow(): void {
    const lo32 = this.low >>> 0;
    if (lo32 < 0xff000000 || this.low >= TWO_32) {
      const carry = this.low >= TWO_32 ? 1 : 0;
      let temp = this.cache;
      do {
        this.push((temp + carry) & 0xff);
        temp = 0xff;
      } while (--this.cacheSize !== 0);
      this.cache = lo32 >>> 24;
    }
    this.cacheSize++;
    this.low = (lo32 & 0x00ffffff) * 256;
  }

  private push(b: number): void {
    if (this.len === this.out.length) {
      const bigger = new Uint8Array(this.out.length * 2);
      bigger.set(this.out);
      this.out = bigger;
    }
    this.out[this.len++] = b;
  }
}
