import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { run } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-cluster-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('pairs on 1 and 2 gateways and measures recovery after a kill, writing well-formed JSON', async () => {
  const json = join(dir, 'c.json');
  await run(['--gateways', '1,2', '--technicians', '2', '--duration', '0.5', '--half-duration', '0', '--concurrency', '4', '--recovery-sessions', '3', '--quiet', '--json', json]);
  const r = JSON.parse(readFileSync(json, 'utf8'));
  for (const n of ['1', '2']) {
    const [peak] = r.figures.scaling[n];
    expect(peak.completed).toBeGreaterThan(0);
    expect(peak.failed).toBe(0);
    expect(peak.latency.p99Ms).toBeGreaterThanOrEqual(peak.latency.p50Ms);
  }
  expect(r.figures.recovery).toMatchObject({ sessions: 3, resumed: 3 });
  expect(r.figures.recovery.p99Ms).toBeGreaterThan(0);
}, 90_000);
