import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { run } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-idle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('holds every waiting customer across two worker processes and reports the gateway RSS', async () => {
  const json = join(dir, 'i.json');
  const report = join(dir, 'i.html');
  await run(['--customers', '30', '--per-worker', '15', '--rate', '200', '--hold', '0.5', '--quiet', '--json', json, '--report', report]);
  const r = JSON.parse(readFileSync(json, 'utf8'));
  expect(r.figures).toMatchObject({ customersAsked: 30, opened: 30, heldAtEnd: 30, failed: 0, dropped: 0, loadGeneratorProcesses: 2 });
  expect(r.figures.gatewayRssAfterHoldMiB).toBeGreaterThan(r.figures.gatewayRssBaselineMiB * 0.5);
  expect(r.figures.joinLatency.count).toBe(30);
  expect(r.figures.memory.length).toBeGreaterThan(0);
  const html = readFileSync(report, 'utf8');
  for (const id of ['memory', 'join-latency']) expect(html).toContain(`id="chart-${id}"`);
}, 60_000);
