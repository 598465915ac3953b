import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './run.js';

describe('codec benchmark (a few frames, so it keeps working; no speed is asserted)', () => {
  it('runs ours and two peers on a real clip and reports lossless results', async () => {
    const json = join(tmpdir(), `relaydesk-codec-bench-${process.pid}.json`);
    const clip = join(import.meta.dirname, '..', '..', 'native', 'testdata', 'term-vim-clip.mkv');
    await run(['--frames', clip, '--limit', '4', '--peers', 'png,x264rgb-ultrafast', '--fuzz', '500', '--json', json]);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    const input = out.inputs[0];
    expect(input.ours.frames).toBe(4);
    expect(input.ours.lossless).toBe(true);
    expect(input.ours.tsLossless).toBe(true);
    expect(input.peers.map((p: { name: string; lossless: boolean }) => [p.name, p.lossless])).toEqual([
      ['png', true],
      ['x264rgb-ultrafast', true],
    ]);
    expect(input.ours.bytes).toBeGreaterThan(0);
    expect(out.fuzz.cases).toBe(500);
    expect(out.fuzz.mismatches).toEqual([]);
    expect(out.goals.length).toBeGreaterThan(3);
  }, 120_000);
});
