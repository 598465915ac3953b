/**
 * The entropy-coded rectangles of a packet: the range decoder (docs/codec.md, "Range decoder") fused with
 * the context model ("Pixel coding"), the mirror of native/src/rangecoder.rs, model.rs and tilecode.rs.
 *
 * Written for V8's optimising compiler, because this loop is nearly all of a frame's decode time
 * (bench/console): the coder's state and the pixel's neighbours live in locals for a whole rectangle (object
 * fields would be loaded and stored on every bit), every value is an int32 (pixels through an Int32Array,
 * the 32-bit unsigned range and code as their int32 bits, compared unsigned through `>>> 0`), the
 * neighbours slide along the row instead of being read again, and the model's tables are one
 * Uint16Array reset in place for each stream (no allocation per stream or per frame). Decision L, which most
 * pixels stop at, is decoded ahead of the loop over the other decisions, so an L pixel runs straight through
 * (a third inline copy of the bit: V8 does not inline a helper that updates the coder's locals).
 */
import { CACHE_BITS, CACHE_TREE, CTX, DECISIONS, KIND_CACHE, KIND_L, KIND_LIT, KIND_M, KIND_O, KIND_U, LIT_TREES, MATCH_BITS, PROBS, PROB_INIT, cacheSlot, matchSlot } from './model.js';

export class StreamDecoder {
  /**
   * The frame the rectangles are decoded into, `width` pixels wide, and its pixels read as the spec's `fb`. A field
   * rather than a parameter: V8 then knows its type, where a parameter's is checked again at every access.
   */
  constructor(
    private readonly px: Int32Array,
    private readonly width: number,
  ) {}

  private readonly probs = new Uint16Array(PROBS);
  private readonly cache = new Int32Array(1 << CACHE_BITS);
  private readonly seen = new Int32Array(1 << MATCH_BITS);
  private data: Uint8Array = new Uint8Array(0);
  private end = 0;
  /** pos, range and code between rectangles (range and code as int32 bits). */
  private readonly coder = new Int32Array(3);
  /** Bytes read past the end of the stream (as zeros); see docs/codec.md on trimmed streams. */
  overrun = 0;

  /** Opens a stream on data[start, end): a fresh range decoder and a fresh model. */
  open(data: Uint8Array, start: number, end: number): void {
    this.probs.fill(PROB_INIT);
    this.cache.fill(0);
    this.seen.fill(0);
    this.data = data;
    this.end = end;
    this.overrun = 0;
    let pos = start;
    let code = 0;
    for (let i = 0; i < 4; i++) {
      let b = 0;
      if (pos < end) b = data[pos++]!;
      else this.overrun++;
      code = (code << 8) | b;
    }
    this.coder[0] = pos;
    this.coder[1] = -1; // range = 0xFFFFFFFF
    this.coder[2] = code;
  }

  /**
   * Decodes the pixels of the rectangle (x0, y0, w, h) into the frame, reading the neighbours from it as it is
   * (the spec's `fb`). `intra`: the old pixel O is not a candidate.
   */
  rect(x0: number, y0: number, w: number, h: number, intra: boolean): void {
    const px = this.px;
    const probs = this.probs;
    const cache = this.cache;
    const seen = this.seen;
    const data = this.data;
    const end = this.end;
    const W = this.width;
    // An int, not the boolean parameter (V8 would test the tagged value on every pixel).
    const useO = intra ? 0 : 1;
    let pos = this.coder[0]!;
    let range = this.coder[1]!;
    let code = this.coder[2]!;
    let overrun = this.overrun;
    let kind = KIND_L;
    for (let y = y0, yEnd = y0 + h; y < yEnd; y++) {
      const up = y > 0;
      let i = y * W + x0;
      const rowEnd = i + w;
      // The neighbours of the row's first pixel; after it they slide: L is the pixel just decoded, UL the old U,
      // U the old UR (the row above does not change while this row is decoded).
      let l = x0 > 0 ? px[i - 1]! : up ? px[i - W]! : 0;
      let u = up ? px[i - W]! : l;
      let ul = x0 > 0 && up ? px[i - W - 1]! : u;
      for (; i < rowEnd; i++) {
        // Up-right only inside the rectangle: further right the row above may not be final yet.
        const ur = up && i + 1 < rowEnd ? px[i - W + 1]! : u;
        const o = px[i]!;
        const ms = matchSlot(l, u, ul, ur);
        const mp = seen[ms]!;
        const ctx = (kind << 5) | (l === u ? 1 : 0) | (u === ul ? 2 : 0) | (o === l ? 4 & -useO : 0) | (mp === u ? 8 : 0) | (mp === l ? 16 : 0);
        // The decisions in order, each one bit of the range decoder inline (other copies: the trees below). A
        // decision whose candidate equals an earlier one's is skipped and reads no bit; which are coded is worked out
        // only once L was refused. Range and code are the unsigned 32-bit values as int32 bits (`>>> 0` compares
        // them unsigned).
        let pixel = l;
        // Decision L first, out of the loop over the others: most pixels are L, and run straight through.
        const p0 = probs[ctx]!;
        const bound0 = Math.imul(range >>> 12, p0);
        if (code >>> 0 < bound0 >>> 0) {
          range = bound0;
          probs[ctx] = p0 + ((4096 - p0) >> 4);
          while (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | (pos < end ? data[pos++]! : (overrun++, 0));
          }
          let step = 0;
          const coded = (mp !== l ? 2 : 0) | (u !== l && u !== mp ? 4 : 0) | (o !== l && o !== u && o !== mp ? 8 & -useO : 0) | 16;
          let k = ctx;
          for (;;) {
            do {
              step++;
              k += CTX;
            } while ((coded & (1 << step)) === 0 && step < DECISIONS);
            if (step === DECISIONS) break;
            const p = probs[k]!;
            const bound = Math.imul(range >>> 12, p);
            if (code >>> 0 < bound >>> 0) {
              range = bound;
              probs[k] = p + ((4096 - p) >> 4);
              while (range >>> 24 === 0) {
                range <<= 8;
                code = (code << 8) | (pos < end ? data[pos++]! : (overrun++, 0));
              }
            } else {
              code = (code - bound) | 0;
              range = (range - bound) | 0;
              probs[k] = p - (p >> 4);
              while (range >>> 24 === 0) {
                range <<= 8;
                code = (code << 8) | (pos < end ? data[pos++]! : (overrun++, 0));
              }
              break;
            }
          }
          if (step === 1) {
            pixel = mp;
            kind = KIND_M;
          } else if (step === 2) {
            pixel = u;
            kind = KIND_U;
          } else if (step === 3) {
            pixel = o;
            kind = KIND_O;
          } else {
            // step 4: a cache index (one 6-bit tree); step 5: a literal (four 8-bit trees: G, R, B, A residuals).
            const trees = step === 4 ? 1 : 4;
            const bits = step === 4 ? CACHE_BITS : 8;
            let base = step === 4 ? CACHE_TREE : LIT_TREES;
            // The residuals, 8 bits each, low byte first (one 6-bit cache index for step 4).
            let residuals = 0;
            for (let t = 0; t < trees; t++, base += 256) {
              let node = 1;
              for (let n = 0; n < bits; n++) {
                const k = base + node;
                const p = probs[k]!;
                const bound = Math.imul(range >>> 12, p);
                let bit = 1;
                if (code >>> 0 < bound >>> 0) {
                  range = bound;
                  probs[k] = p + ((4096 - p) >> 4);
                  bit = 0;
                } else {
                  code = (code - bound) | 0;
                  range = (range - bound) | 0;
                  probs[k] = p - (p >> 4);
                }
                while (range >>> 24 === 0) {
                  range <<= 8;
                  code = (code << 8) | (pos < end ? data[pos++]! : (overrun++, 0));
                }
                node = (node << 1) | bit;
              }
              residuals |= (node - (1 << bits)) << (8 * t);
            }
            if (step === 4) {
              pixel = cache[residuals]!;
              kind = KIND_CACHE;
            } else {
              const dg = residuals & 0xff;
              const g = ((l >>> 8) + dg) & 0xff;
              const r = ((l >>> 16) + (residuals >>> 8) + dg) & 0xff;
              const b = (l + (residuals >>> 16) + dg) & 0xff;
              const a = ((l >>> 24) + (residuals >>> 24)) & 0xff;
              pixel = b | (g << 8) | (r << 16) | (a << 24);
              cache[cacheSlot(pixel)] = pixel;
              kind = KIND_LIT;
            }
          }
        } else {
          code = (code - bound0) | 0;
          range = (range - bound0) | 0;
          probs[ctx] = p0 - (p0 >> 4);
          while (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | (pos < end ? data[pos++]! : (overrun++, 0));
          }
          kind = KIND_L;
        }
        seen[ms] = pixel;
        px[i] = pixel;
        l = pixel;
        if (up) {
          ul = u;
          u = ur;
        } else {
          u = pixel;
          ul = pixel;
        }
      }
    }
    this.coder[0] = pos;
    this.coder[1] = range;
    this.coder[2] = code;
    this.overrun = overrun;
  }
}

/**
 * Runs the pixel loop over pseudo-random bytes so V8 has optimised it before the first real packet: a console's
 * first picture is a whole-screen keyframe, and decoding it in the unoptimised tiers takes several times longer
 * (bench/console, "keyframe" of the live console). Random bits take every decision and tree; the rectangles
 * cover every neighbourhood case (frame edges, inside, intra or not) and a stream that runs out, so real packets
 * find no path the optimiser has not seen. About 70,000 pixels; the result is thrown away.
 */
export function warmUpStreamDecoder(rounds = 8): void {
  const W = 160;
  const data = new Uint8Array(2048);
  let seed = 0x2545f491;
  for (let i = 0; i < data.length; i++) {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x9e3779b9) | 0;
    data[i] = seed >>> 24;
  }
  const px = new Int32Array(W * W);
  const d = new StreamDecoder(px, W);
  const rects = [
    [0, 0, 64, 64],
    [64, 0, 64, 64],
    [0, 64, 64, 64],
    [64, 64, 64, 64],
    [100, 130, 60, 30],
  ] as const;
  for (let round = 0; round < rounds; round++) {
    // A short stream now and then: reads past its end count as zeros (overrun).
    d.open(data, (round * 61) % 1024, round % 3 === 2 ? 1100 : data.length);
    for (const [x, y, w, h] of rects) d.rect(x, y, w, h, round % 2 === 0);
  }
}
