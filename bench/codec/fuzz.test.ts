import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFrames } from './frames.js';
import { cropFrames, fuzzDecoders, type FuzzReport } from './fuzz.js';
import { loadNative } from './native.js';

const codec = loadNative();

describe('decoder fuzzing (bounded CI sample; the benchmark runs a million cases)', () => {
  it('native and TypeScript decoders agree on mutated real packets and never fail untyped', async () => {
    const clip = loadFrames(join(import.meta.dirname, '..', '..', 'native', 'testdata', 'web-cargo-clip.mkv'));
    const w = 320;
    const h = 200;
    const frames = cropFrames(clip.frames, clip.width, 260, 300, w, h);
    const enc = new codec.Encoder(w, h);
    const packets = frames.map((f) => enc.encode(f));
    // 10 seeds x 2,000 cases, yielding between batches so the test worker stays responsive on a
    // loaded machine (a long synchronous loop starves vitest's RPC).
    const all: FuzzReport = { cases: 0, outcomes: {}, mismatches: [], maxCaseMs: 0, ms: 0 };
    const deadline = Date.now() + 60_000;
    for (let seed = 1; seed <= 10 && Date.now() < deadline; seed++) {
      const r = fuzzDecoders({ native: codec, width: w, height: h, packets, cases: 2_000, seed, timeLimitMs: 10_000 });
      all.cases += r.cases;
      all.mismatches.push(...r.mismatches.map((m) => ({ ...m, detail: `seed ${seed}: ${m.detail}` })));
      for (const [k, v] of Object.entries(r.outcomes)) all.outcomes[k] = (all.outcomes[k] ?? 0) + v;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(all.mismatches).toEqual([]);
    expect(all.cases).toBeGreaterThan(2_000);
    // The mutations must reach past the checksum: successes and several distinct error codes.
    expect(all.outcomes.ok ?? 0).toBeGreaterThan(all.cases / 50);
    expect(Object.keys(all.outcomes).length).toBeGreaterThanOrEqual(4);
  }, 120_000);
});
