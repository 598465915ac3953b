/**
 * Latency histogram with bounded memory, HDR-style: values (microseconds) fall in log-linear buckets,
 * 128 sub-buckets per power of two, so any percentile is within 1/128 (< 0.8 %) of the true value
 * whatever the count. Recording is O(1) with no allocation: safe on a load generator's hot path.
 */
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS;
const MAGNITUDES = 26; // 2^31 µs at most, see bucketOf

export class Histogram {
  private readonly counts = new Float64Array(MAGNITUDES * SUB);
  count = 0;
  min = Infinity;
  max = 0;
  private sum = 0;

  /** Records one value in microseconds (fractions kept for min/max/mean, buckets by whole µs). */
  record(us: number): void {
    const v = us < 0 ? 0 : us;
    this.counts[bucketOf(v)]! += 1;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(other: Histogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  /** A plain copy (e.g. to send from a worker process); `Histogram.from` reads it back. */
  toJSON(): { counts: [number, number][]; count: number; min: number; max: number; sum: number } {
    const counts: [number, number][] = [];
    this.counts.forEach((c, i) => c && counts.push([i, c]));
    return { counts, count: this.count, min: this.min, max: this.max, sum: this.sum };
  }

  static from(j: ReturnType<Histogram['toJSON']>): Histogram {
    const h = new Histogram();
    for (const [i, c] of j.counts) h.counts[i] = c;
    h.count = j.count;
    h.min = j.count ? j.min : Infinity;
    h.max = j.max;
    h.sum = j.sum;
    return h;
  }

  get mean(): number {
    return this.count ? this.sum / this.count : 0;
  }

  /** The value at percentile p (0–100): the upper edge of the bucket holding it, capped by max. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperEdge(i), this.max);
    }
    return this.max;
  }

  /** Summary in milliseconds, for tables and JSON. */
  summaryMs(): LatencySummary {
    const ms = (us: number) => round(us / 1000, 3);
    return {
      count: this.count,
      minMs: this.count ? ms(this.min) : 0,
      meanMs: ms(this.mean),
      p50Ms: ms(this.percentile(50)),
      p90Ms: ms(this.percentile(90)),
      p99Ms: ms(this.percentile(99)),
      p999Ms: ms(this.percentile(99.9)),
      maxMs: ms(this.max),
    };
  }

  /** Counts in `bins` log-spaced bins between min and max (for the latency chart), x in ms. */
  bins(bins = 40): { fromMs: number; toMs: number; count: number }[] {
    if (this.count === 0) return [];
    const lo = Math.max(1, this.min);
    const hi = Math.max(lo * 1.01, this.max);
    const ratio = Math.pow(hi / lo, 1 / bins);
    const out = Array.from({ length: bins }, (_, i) => ({ fromMs: (lo * ratio ** i) / 1000, toMs: (lo * ratio ** (i + 1)) / 1000, count: 0 }));
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i]!;
      if (c === 0) continue;
      const mid = Math.min(hi, Math.max(lo, (lowerEdge(i) + upperEdge(i)) / 2));
      const b = Math.min(bins - 1, Math.max(0, Math.floor(Math.log(mid / lo) / Math.log(ratio))));
      out[b]!.count += c;
    }
    return out;
  }
}

export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

function bucketOf(v: number): number {
  const x = Math.min(Math.floor(v), 0x7fffffff); // 2^31 µs ≈ 36 min: longer than any bench phase
  if (x < SUB) return x;
  const mag = 31 - Math.clz32(x) - SUB_BITS + 1; // ≥ 1
  return mag * SUB + ((x >>> (mag - 1)) - SUB);
}

function lowerEdge(i: number): number {
  const mag = Math.floor(i / SUB);
  const sub = i % SUB;
  return mag === 0 ? sub : (SUB + sub) * 2 ** (mag - 1);
}

function upperEdge(i: number): number {
  const mag = Math.floor(i / SUB);
  return mag === 0 ? lowerEdge(i) + 1 : lowerEdge(i) + 2 ** (mag - 1);
}

export const round = (n: number, digits = 2) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};
