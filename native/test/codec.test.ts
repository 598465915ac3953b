import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFrames } from '../../bench/codec/frames.js';
import { loadNative } from '../../bench/codec/native.js';
import { codeOf } from './error-code.js';

const codec = loadNative();
const clips = ['term-vim', 'web-cargo', 'desk-drag'].map((name) => ({
  name,
  ...loadFrames(join(import.meta.dirname, '..', 'testdata', `${name}-clip.mkv`)),
}));

describe('native codec on real recordings', { timeout: 120_000 }, () => {
  for (const clip of clips) {
    it(`round-trips ${clip.name} exactly and far below raw size`, () => {
      const enc = new codec.Encoder(clip.width, clip.height);
      const dec = new codec.Decoder(clip.width, clip.height);
      let bytes = 0;
      for (const [i, f] of clip.frames.entries()) {
        const p = enc.encode(f);
        bytes += p.length;
        const { rects } = dec.decode(p);
        if (i === 0) expect(rects).toEqual([[0, 0, clip.width, clip.height]]);
        expect(dec.frame().equals(f), `frame ${i}`).toBe(true);
      }
      expect(clip.frames.length).toBe(16);
      expect(dec.generation).toBe(16);
      // Raw is 8 MB a frame; anything near that means the codec is not compressing.
      expect(bytes).toBeLessThan((clip.frames.length * clip.width * clip.height * 4) / 20);
    });
  }

  it('sends a tiny packet with no rectangles for an unchanged frame', () => {
    const { width, height, frames } = clips[0]!;
    const enc = new codec.Encoder(width, height);
    const dec = new codec.Decoder(width, height);
    dec.decode(enc.encode(frames[0]!));
    const p = enc.encode(Buffer.from(frames[0]!));
    expect(p.length).toBeLessThanOrEqual(24);
    expect(dec.decode(p).rects).toEqual([]);
  });

  it('reports rectangles that cover every changed pixel', () => {
    const { width, height, frames } = clips[1]!;
    const enc = new codec.Encoder(width, height);
    const dec = new codec.Decoder(width, height);
    dec.decode(enc.encode(frames[0]!));
    for (const f of frames.slice(1)) {
      const before = dec.frame();
      const { rects } = dec.decode(enc.encode(f));
      const after = dec.frame();
      const covered = new Uint8Array(width * height);
      for (const [x, y, w, h] of rects) for (let r = y; r < y + h; r++) covered.fill(1, r * width + x, r * width + x + w);
      for (let i = 0; i < width * height; i++) {
        if (!covered[i] && before.readUInt32LE(i * 4) !== after.readUInt32LE(i * 4)) throw new Error(`pixel ${i} changed outside rects`);
      }
    }
  });

  it('scroll and window-move detection make moving content smaller', () => {
    for (const clip of clips) {
      const size = (motion: boolean) => {
        const enc = new codec.Encoder(clip.width, clip.height, { motion });
        return clip.frames.slice(1).reduce((n, f, i) => n + (i === 0 ? (enc.encode(clip.frames[0]!), 0) : 0) + enc.encode(f).length, 0);
      };
      expect(size(true), clip.name).toBeLessThan(size(false) * 0.8);
    }
  });

  it('produces keyframes on request and on the interval; each decodes alone', () => {
    const { width, height, frames } = clips[2]!;
    const enc = new codec.Encoder(width, height, { keyframeInterval: 5 });
    const sizes: number[] = [];
    for (const [i, f] of frames.entries()) {
      const p = enc.encode(f, { keyframe: i === 7 });
      sizes.push(p.length);
      const fresh = new codec.Decoder(width, height);
      const standalone = codeOf(() => fresh.decode(p)) === undefined && fresh.frame().equals(f);
      // Keyframes at 0, 5, 10, 15 (interval) and 7 (requested; the interval restarts there: 12).
      expect(standalone, `frame ${i}`).toBe([0, 5, 7, 12].includes(i));
    }
  });

  it('serves late viewers: keyframe() and deltaSince() rebuild the exact frame', () => {
    const { width, height, frames } = clips[0]!;
    const enc = new codec.Encoder(width, height);
    const hub = new codec.Decoder(width, height);
    const packets = frames.map((f) => enc.encode(f));
    const lagging = new codec.Decoder(width, height);
    for (const [i, p] of packets.entries()) {
      hub.decode(p);
      if (i < 6) lagging.decode(p);
    }
    const joiner = new codec.Decoder(width, height);
    joiner.decode(hub.keyframe());
    expect(joiner.frame().equals(frames.at(-1)!)).toBe(true);
    const delta = hub.deltaSince(lagging.generation);
    expect(delta.length).toBeLessThan(hub.keyframe().length);
    lagging.decode(delta);
    expect(lagging.frame().equals(frames.at(-1)!)).toBe(true);
    expect(hub.deltaSince(hub.generation).length).toBeLessThanOrEqual(24);
    expect(codeOf(() => hub.deltaSince(hub.generation + 1))).toBe('E_CODEC_ARGUMENT');
  });

  it('rejects bad packets and arguments with typed errors and keeps working', () => {
    const { width, height, frames } = clips[0]!;
    const enc = new codec.Encoder(width, height);
    const key = enc.encode(frames[0]!);
    const dec = new codec.Decoder(width, height);
    expect(codeOf(() => dec.decode(key.subarray(0, key.length - 1)))).toBe('E_CODEC_TRUNCATED');
    expect(codeOf(() => dec.decode(key.subarray(0, 5)))).toBe('E_CODEC_TRUNCATED');
    expect(codeOf(() => dec.decode(Buffer.from('GIF89a and more bytes here')))).toBe('E_CODEC_BAD_MAGIC');
    const bad = Buffer.from(key);
    bad[3] = 9;
    expect(codeOf(() => dec.decode(bad))).toBe('E_CODEC_VERSION');
    const flipped = Buffer.from(key);
    flipped[1000] = flipped[1000]! ^ 1;
    expect(codeOf(() => dec.decode(flipped))).toBe('E_CODEC_CORRUPT');
    expect(codeOf(() => new codec.Decoder(640, 480).decode(key))).toBe('E_CODEC_DIMENSIONS');
    expect(codeOf(() => enc.encode(Buffer.alloc(10)))).toBe('E_CODEC_FRAME_SIZE');
    expect(codeOf(() => enc.encode('frame' as unknown as Buffer))).toBe('E_CODEC_ARGUMENT');
    expect(codeOf(() => new codec.Encoder(0, 10))).toBe('E_CODEC_ARGUMENT');
    expect(codeOf(() => new codec.Encoder(100000, 10))).toBe('E_CODEC_ARGUMENT');
    expect(codeOf(() => new codec.Encoder(10, 10, { threads: 0 }))).toBe('E_CODEC_ARGUMENT');
    expect(codeOf(() => (codec.Decoder as unknown as (w: number, h: number) => void)(10, 10))).toBe('E_CODEC_ARGUMENT');
    // A method borrowed onto the other class, or onto a plain object, is refused, not reinterpreted
    // (V8 checks the receiver first; the binding checks what it unwraps as well).
    expect(() => codec.Encoder.prototype.encode.call(dec as unknown as InstanceType<typeof codec.Encoder>, frames[0]!)).toThrow();
    expect(() => codec.Decoder.prototype.frame.call({} as InstanceType<typeof codec.Decoder>)).toThrow();
    expect(codeOf(() => dec.decode(key))).toBeUndefined();
    expect(dec.frame().equals(frames[0]!)).toBe(true);
  });

  it('opaque: sends padding bytes as alpha 0xFF; `changed` limits the comparison to what the caller wrote', () => {
    const { width, height, frames } = clips[0]!;
    // X leaves the fourth byte undefined: give every frame different garbage there.
    const padded = frames.map((f, i) => {
      const g = Buffer.from(f);
      for (let p = 3; p < g.length; p += 4) g[p] = (p * 7 + i * 13) & 0xff;
      return g;
    });
    const enc = new codec.Encoder(width, height, { opaque: true });
    const dec = new codec.Decoder(width, height);
    const changed = new Int32Array(4 * 4);
    for (const [i, f] of padded.entries()) {
      // The rows where this frame differs from the last, as one rectangle (what a capture would report).
      let y0 = height;
      let y1 = -1;
      const row = width * 4;
      for (let y = 0; i > 0 && y < height; y++) {
        if (!f.subarray(y * row, (y + 1) * row).equals(padded[i - 1]!.subarray(y * row, (y + 1) * row))) {
          y0 = Math.min(y0, y);
          y1 = y;
        }
      }
      changed.set([0, y0, width, y1 - y0 + 1]);
      dec.decode(enc.encode(f, i === 0 ? {} : { changed, changedCount: y1 < 0 ? 0 : 1 }));
      expect(dec.frame().equals(frames[i]!), `frame ${i}`).toBe(true);
    }
    // The hint is trusted: a change outside it is not looked for (which is why only the capture passes one).
    const last = Buffer.from(padded.at(-1)!);
    last[0] = last[0]! ^ 0xff;
    dec.decode(enc.encode(last, { changed, changedCount: 0 }));
    expect(dec.frame().equals(frames.at(-1)!)).toBe(true);
    expect(codeOf(() => enc.encode(last, { changed: new Float32Array(4) as unknown as Int32Array }))).toBe('E_CODEC_ARGUMENT');
    expect(codeOf(() => enc.encode(last, { changed, changedCount: 5 }))).toBe('E_CODEC_ARGUMENT');
    expect(codeOf(() => enc.encode(last, { changed: new Int32Array([0, 0, -1, 4]) }))).toBe('E_CODEC_ARGUMENT');
    expect(codeOf(() => new codec.Encoder(10, 10, { opaque: 1 as unknown as boolean }))).toBe('E_CODEC_ARGUMENT');
  });

  it('handles frames that are not a multiple of the tile size', () => {
    const w = 97;
    const h = 65;
    const enc = new codec.Encoder(w, h);
    const dec = new codec.Decoder(w, h);
    const src = clips[2]!.frames;
    for (let i = 0; i < 6; i++) {
      const f = Buffer.alloc(w * h * 4);
      for (let y = 0; y < h; y++) src[i * 2]!.copy(f, y * w * 4, ((700 + y) * 1920 + 300) * 4, ((700 + y) * 1920 + 300 + w) * 4);
      dec.decode(enc.encode(f));
      expect(dec.frame().equals(f)).toBe(true);
    }
  });
});
