import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFrames } from '../../bench/codec/frames.js';
import { loadNative } from '../../bench/codec/native.js';
import { codeOf } from '../../native/test/error-code.js';
import { Encoder } from './index.js';

const codec = loadNative();
const testdata = join(import.meta.dirname, '..', '..', 'native', 'testdata');

describe('TypeScript encoder', () => {
  for (const name of ['term-vim', 'web-cargo', 'desk-drag']) {
    it(`${name}: the native decoder rebuilds every frame exactly, and a keyframe on request stands alone`, () => {
      const { width, height, frames } = loadFrames(join(testdata, `${name}-clip.mkv`), 6);
      const enc = new Encoder(width, height);
      const dec = new codec.Decoder(width, height);
      for (const [i, f] of frames.entries()) {
        const p = enc.encode(f, { keyframe: i === 4 });
        expect(p[4]! & 1, `frame ${i} keyframe flag`).toBe(i === 0 || i === 4 ? 1 : 0);
        dec.decode(p);
        expect(dec.frame().equals(f), `frame ${i}`).toBe(true);
        if (i === 4) {
          const alone = new codec.Decoder(width, height);
          alone.decode(p);
          expect(alone.frame().equals(f)).toBe(true);
        }
      }
      // An unchanged frame costs a header and three empty counts, as with the native encoder.
      expect(enc.encode(frames.at(-1)!).byteLength).toBe(20);
    }, 120_000);
  }

  it('round-trips hostile content: noise, every alpha value, single pixels, odd sizes', () => {
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
    for (const [w, h] of [[1, 1], [65, 3], [130, 129], [3, 200]] as const) {
      const enc = new Encoder(w, h);
      const dec = new codec.Decoder(w, h);
      for (let n = 0; n < 4; n++) {
        const f = Buffer.alloc(w * h * 4);
        for (let i = 0; i < f.length; i++) f[i] = n === 2 ? (i % 7 === 0 ? rnd() : 0) : rnd();
        dec.decode(enc.encode(f));
        expect(dec.frame().equals(f), `${w}x${h} #${n}`).toBe(true);
      }
    }
  });

  it('refuses a frame of the wrong size with E_CODEC_FRAME_SIZE', () => {
    expect(codeOf(() => new Encoder(4, 4).encode(new Uint8Array(10)))).toBe('E_CODEC_FRAME_SIZE');
    expect(codeOf(() => new Encoder(0, 4))).toBe('E_CODEC_ARGUMENT');
  });
});
