import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFrames } from './frames.js';
import { cropFrames, fuzzDecoders } from './fuzz.js';
import { loadNative } from './native.js';

const codec = loadNative();

describe('decoder fuzzing (bounded CI sample; the benchmark runs a million cases)', () => {
  it('native and TypeScript decoders agree on mutated real packets and never fail untyped', () => {
    const clip = loadFrames(join(import.meta.dirname, '..', '..', 'native', 'testdata', 'web-cargo-clip.mkv'));
    const w = 320;
    const h = 200;
    const frames = cropFrames(clip.frames, clip.width, 260, 300, w, h);
    const enc = new codec.Encoder(w, h);
    const packets = frames.map((f) => enc.encode(f));
    const report = fuzzDecoders({ native: codec, width: w, height: h, packets, cases: 20_000, seed: 1, timeLimitMs: 40_000 });
    expect(report.mismatches).toEqual([]);
    expect(report.cases).toBeGreaterThan(2_000);
    // The mutations must reach past the checksum: successes and several distinct error codes.
    expect(report.outcomes.ok ?? 0).toBeGreaterThan(report.cases / 50);
    expect(Object.keys(report.outcomes).length).toBeGreaterThanOrEqual(4);
  }, 60_000);
});
