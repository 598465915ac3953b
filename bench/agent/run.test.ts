import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { run } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-agent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('measures capture+encode CPU beside ffmpeg, and both latencies through a gateway', async () => {
  const json = join(dir, 'a.json');
  await run(['--activities', 'xterm', '--seconds', '1', '--samples', '5', '--settle', '0', '--width', '640', '--height', '480', '--quiet', '--json', json]);
  const r = JSON.parse(readFileSync(json, 'utf8'));
  const [xterm] = r.figures.cpu;
  expect(xterm.activity).toBe('xterm');
  expect(xterm.oursFrames).toBeGreaterThan(0);
  expect(xterm.ffmpegFrames).toBeGreaterThan(0);
  expect(xterm.ratio).toBeGreaterThan(0);
  expect(r.figures.changeToDecodedMs.count).toBe(5);
  expect(r.figures.keyToPixelsMs.count).toBe(5);
  expect(r.goals).toHaveLength(3);
}, 90_000);
