import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './run.js';

describe('console benchmark (a few frames, so it keeps working; no speed is asserted)', () => {
  it('decodes a clip alone in Chromium and beside native, replays it into the console, reports decode, paint and arrival→paint, checks the pictures, sizes the bundle', async () => {
    const json = join(tmpdir(), `relaydesk-console-bench-${process.pid}.json`);
    const clip = join(import.meta.dirname, '..', '..', 'native', 'testdata', 'term-vim-clip.mkv');
    await run(['--frames', clip, '--limit', '4', '--reps', '2', '--encoder-limit', '2', '--fps', '30', '--json', json, '--quiet']);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    const figures = out.figures['term-vim-clip'];
    expect(figures.exact).toBe(true);
    // The decoder alone in Chromium, beside the native decoder on the same packets.
    expect(figures.alone.exact).toBe(true);
    expect(figures.alone.decodeMs).toHaveLength(4);
    expect(figures.alone.nativeDecodeMs).toHaveLength(4);
    expect(figures.alone.rgbaMs).toHaveLength(4);
    expect(figures.decodeMs).toHaveLength(4);
    expect(figures.arrivalToPaintMs).toHaveLength(4);
    expect(figures.encoder.frames).toBe(2);
    expect(figures.encoder.tsBytes).toBeGreaterThan(0);
    expect(out.figures.bundle.at(-1)[1]).toBeGreaterThan(10_000);
    expect(out.goals).toHaveLength(1);
  }, 120_000);
});
