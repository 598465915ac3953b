/**
 * Differential mutation fuzzer for the two decoders. Each case restores both decoders to the
 * state a real packet expects (by decoding a keyframe of that state), mutates the packet
 * (bit flips, truncation, overwrites, inserts, deletes, splices, huge varints), optionally repairs
 * the length and checksum so the mutation reaches the deeper parser and the entropy decoder, then
 * requires both decoders to agree: the same error code, or success with identical framebuffers.
 * Deterministic for a seed, so a failure can be replayed.
 */
import { checksum } from '../../clients/codec/checksum.js';
import { Decoder as TsDecoder } from '../../clients/codec/decoder.js';
import type { NativeCodec } from './native.js';

export interface FuzzOptions {
  native: NativeCodec;
  width: number;
  height: number;
  /** Real packets in order; packet 0 must be a keyframe. */
  packets: Buffer[];
  cases: number;
  seed?: number;
  /** Stop after this many milliseconds even if fewer cases ran. */
  timeLimitMs?: number;
}

export interface FuzzReport {
  cases: number;
  outcomes: Record<string, number>;
  mismatches: { case: number; detail: string }[];
  maxCaseMs: number;
  ms: number;
}

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const HEADER_LEN = 17;

function repair(p: Uint8Array, fixLength: boolean): void {
  if (p.length < HEADER_LEN) return;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  if (fixLength) v.setUint32(9, p.length - HEADER_LEN, true);
  v.setUint32(13, checksum(p, HEADER_LEN, p.length), true);
}

export function mutate(src: Uint8Array, other: Uint8Array, rnd: () => number): Uint8Array {
  const pick = (n: number) => (n <= 0 ? 0 : rnd() % n);
  let p: Uint8Array = Uint8Array.from(src);
  const rounds = 1 + pick(3);
  for (let r = 0; r < rounds; r++) {
    switch (pick(8)) {
      case 0: // bit flips, biased to the header and directory where structure lives
        for (let i = pick(8) + 1; i > 0; i--) {
          // Mostly past the magic/version/dimensions, which only ever yield one error each.
          const at = (rnd() & 7) === 0 ? pick(Math.min(p.length, 9)) : rnd() & 1 ? 9 + pick(Math.min(p.length, 64) - 9) : pick(p.length);
          if (p.length) p[at] = p[at]! ^ (1 << pick(8));
        }
        break;
      case 1:
        p = p.slice(0, pick(p.length + 1));
        break;
      case 2:
        for (let i = pick(4) + 1; i > 0; i--) if (p.length) p[pick(p.length)] = rnd() & 0xff;
        break;
      case 3: {
        const at = pick(p.length + 1);
        const n = pick(16) + 1;
        const q = new Uint8Array(p.length + n);
        q.set(p.subarray(0, at));
        for (let i = 0; i < n; i++) q[at + i] = rnd() & 0xff;
        q.set(p.subarray(at), at + n);
        p = q;
        break;
      }
      case 4: {
        const at = pick(p.length);
        const cut = Math.min(p.length, at + pick(16) + 1);
        const q = new Uint8Array(p.length - (cut - at));
        q.set(p.subarray(0, at));
        q.set(p.subarray(cut), at);
        p = q;
        break;
      }
      case 5: {
        const at = pick(p.length);
        const tail = other.subarray(pick(other.length));
        const q = new Uint8Array(at + tail.length);
        q.set(p.subarray(0, at));
        q.set(tail, at);
        p = q;
        break;
      }
      case 6: // a huge varint where counts and rectangles live
        if (p.length > HEADER_LEN) {
          const at = HEADER_LEN + pick(Math.min(p.length - HEADER_LEN, 48));
          const big = [0xff, 0xff, 0xff, 0xff, 0x0f];
          for (let i = 0; i < big.length && at + i < p.length; i++) p[at + i] = big[i]!;
        }
        break;
      default: // zero a run (empty counts, zero-size rectangles)
        if (p.length) p.fill(0, pick(p.length), pick(p.length + 1));
        break;
    }
  }
  // Keep magic, version and dimensions intact three times in four: each has one error and
  // would otherwise take most cases away from the deeper parser.
  if (pick(4) !== 0 && p.length >= 9 && src.length >= 9) {
    p.set(src.subarray(0, 4), 0);
    p.set(src.subarray(5, 9), 5);
  }
  const fix = pick(4);
  if (fix === 0) repair(p, true);
  else if (fix === 1) repair(p, false);
  else if (fix === 2 && p.length >= HEADER_LEN) repair(p, true);
  return p;
}

function outcome(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? code : `uncoded:${String(e)}`;
  }
}

export function fuzzDecoders(o: FuzzOptions): FuzzReport {
  const rnd = xorshift(o.seed ?? 0x5eed);
  const nat = new o.native.Decoder(o.width, o.height);
  const ts = new TsDecoder(o.width, o.height);
  // resets[k]: keyframe of the state packet k expects (decoder state after packets 0..k-1).
  const resets: Buffer[] = [nat.keyframe()];
  for (const p of o.packets.slice(0, -1)) {
    nat.decode(p);
    resets.push(nat.keyframe());
  }
  const report: FuzzReport = { cases: 0, outcomes: {}, mismatches: [], maxCaseMs: 0, ms: 0 };
  const t0 = performance.now();
  const deadline = t0 + (o.timeLimitMs ?? Infinity);
  // Both decoders hold state `state` unless a case changed it (generation moved); resetting only
  // then, and taking several mutations of one packet in a row, keeps a case cheap.
  let state = -1;
  let k = 0;
  for (let c = 0; c < o.cases; c++) {
    if ((c & 255) === 0 && performance.now() > deadline) break;
    if ((c & 15) === 0) k = rnd() % o.packets.length;
    const pkt = mutate(o.packets[k]!, o.packets[rnd() % o.packets.length]!, rnd);
    if (state !== k) {
      nat.decode(resets[k]!);
      ts.decode(resets[k]!);
      state = k;
    }
    const natGen = nat.generation;
    const tsGen = ts.generation;
    const s = performance.now();
    const a = outcome(() => nat.decode(pkt));
    const b = outcome(() => ts.decode(pkt));
    report.maxCaseMs = Math.max(report.maxCaseMs, performance.now() - s);
    report.cases++;
    if (nat.generation !== natGen || ts.generation !== tsGen) state = -1;
    report.outcomes[a] = (report.outcomes[a] ?? 0) + 1;
    if (a !== b) report.mismatches.push({ case: c, detail: `native ${a}, ts ${b}` });
    else if (a === 'ok' && !nat.frame().equals(ts.frame())) report.mismatches.push({ case: c, detail: 'framebuffers differ' });
    else if (a.startsWith('uncoded') || a === 'E_CODEC_INTERNAL') report.mismatches.push({ case: c, detail: a });
    if (report.mismatches.length >= 20) break;
  }
  report.ms = performance.now() - t0;
  return report;
}

/** Crops real frames to a small window so a million fuzz cases fit in a benchmark run. */
export function cropFrames(frames: Buffer[], width: number, x: number, y: number, w: number, h: number): Buffer[] {
  return frames.map((f) => {
    const out = Buffer.allocUnsafe(w * h * 4);
    for (let r = 0; r < h; r++) f.copy(out, r * w * 4, ((y + r) * width + x) * 4, ((y + r) * width + x + w) * 4);
    return out;
  });
}
