import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFrames } from '../../bench/codec/frames.js';
import { loadNative } from '../../bench/codec/native.js';
import { codeOf } from '../../native/test/error-code.js';
import { checksum } from './checksum.js';
import { Decoder } from './index.js';
import { CACHE_BITS, CACHE_TREE, CTX, DECISIONS, LIT_TREES, PROBS } from './model.js';
import { opaqueRgba } from './test/opaque-rgba.js';

const codec = loadNative();

const testdata = join(import.meta.dirname, '..', '..', 'native', 'testdata');

describe('TypeScript decoder', () => {
  for (const name of ['term-vim', 'web-cargo', 'desk-drag']) {
    it(`matches the native decoder on every ${name} packet, late-viewer packets included`, () => {
      const { width, height, frames } = loadFrames(join(testdata, `${name}-clip.mkv`));
      const enc = new codec.Encoder(width, height, { keyframeInterval: 10 });
      const nat = new codec.Decoder(width, height);
      const ts = new Decoder(width, height);
      // What the console paints from: an opaque RGBA copy kept current with only what each packet changed.
      const rgba = new Int32Array(width * height);
      for (const [i, f] of frames.entries()) {
        const p = enc.encode(f);
        expect(ts.decode(p).rects).toEqual(nat.decode(p).rects);
        expect(Buffer.from(ts.frame().buffer).equals(f), `frame ${i}`).toBe(true);
        ts.updateRgba(rgba);
        if (i % 4 === 3) expect(Buffer.from(rgba.buffer).equals(opaqueRgba(f)), `RGBA of frame ${i}`).toBe(true);
      }
      const viewer = new Decoder(width, height);
      viewer.decode(nat.deltaSince(0));
      expect(Buffer.from(viewer.frame().buffer).equals(frames.at(-1)!)).toBe(true);
      const joiner = new Decoder(width, height);
      joiner.decode(nat.keyframe());
      expect(Buffer.from(joiner.frame().buffer).equals(frames.at(-1)!)).toBe(true);
    }, 120_000);
  }

  it('apply() reports the same rectangles as decode() through damage, without a new array per packet', () => {
    const { width, height, frames } = loadFrames(join(testdata, 'term-vim-clip.mkv'), 6);
    const enc = new codec.Encoder(width, height);
    const nat = new codec.Decoder(width, height);
    const ts = new Decoder(width, height);
    let damage: Int32Array | null = null;
    for (const f of frames.slice(0, 6)) {
      const p = enc.encode(f);
      const want = nat.decode(p).rects;
      const n = ts.apply(p);
      expect(Array.from({ length: n }, (_, i) => [...ts.damage.subarray(4 * i, 4 * i + 4)])).toEqual(want);
      if (damage && n * 4 <= damage.length) expect(ts.damage).toBe(damage);
      damage = ts.damage;
    }
  });

  it('rejects bad packets with the same codes as the native decoder', () => {
    const w = 200;
    const h = 130;
    const frame = Buffer.alloc(w * h * 4);
    for (let i = 0; i < frame.length; i++) frame[i] = (i * 31) ^ (i >> 9);
    const key = new codec.Encoder(w, h).encode(frame);
    const variants: Uint8Array[] = [key.subarray(0, 10), key.subarray(0, key.length - 3), Buffer.from('nope, not a packet at all')];
    const v = Buffer.from(key);
    v[3] = 2;
    variants.push(v);
    const c = Buffer.from(key);
    c[40] = c[40]! ^ 0x10;
    variants.push(c);
    for (const p of variants) {
      const expected = codeOf(() => new codec.Decoder(w, h).decode(p));
      expect(expected).toBeDefined();
      expect(codeOf(() => new Decoder(w, h).decode(p))).toBe(expected);
    }
    expect(codeOf(() => new Decoder(w + 1, h).decode(key))).toBe('E_CODEC_DIMENSIONS');
    // Hostile but well-formed: three full-frame copies (more memmove than any encoder asks for).
    const fullCopy = [0, 0, w, h, 0, 0].map((v) => (v < 128 ? [v] : [(v & 0x7f) | 0x80, v >> 7])).flat();
    for (const n of [2, 3]) {
      const body = Uint8Array.from([n, ...Array.from({ length: n }, () => fullCopy).flat(), 0, 0]);
      const p = new Uint8Array(17 + body.length);
      p.set([0x52, 0x44, 0x43, 1, 0, w & 0xff, w >> 8, h & 0xff, h >> 8]);
      new DataView(p.buffer).setUint32(9, body.length, true);
      p.set(body, 17);
      new DataView(p.buffer).setUint32(13, checksum(p, 17, p.length), true);
      const want = n === 2 ? undefined : 'E_CODEC_CORRUPT';
      expect(codeOf(() => new codec.Decoder(w, h).decode(p))).toBe(want);
      expect(codeOf(() => new Decoder(w, h).decode(p))).toBe(want);
    }
    expect(codeOf(() => new Decoder(0, h))).toBe('E_CODEC_ARGUMENT');
    expect(codeOf(() => new Decoder(w, h).decode(key.buffer as unknown as Uint8Array))).toBe('E_CODEC_ARGUMENT');
  });

  it("lays the probability table out as model.ts says (its offsets are written as numbers for esbuild to inline)", () => {
    expect([CACHE_TREE, LIT_TREES, PROBS]).toEqual([DECISIONS * CTX, DECISIONS * CTX + (1 << CACHE_BITS), DECISIONS * CTX + (1 << CACHE_BITS) + 4 * 256]);
  });
});
