import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { run } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('loads the API and the uWS hello-world and writes the ratio, JSON and HTML', async () => {
  const json = join(dir, 'a.json');
  const report = join(dir, 'a.html');
  await run(['--endpoints', 'create,list', '--duration', '0.5', '--connections', '4', '--waiting', '2', '--quiet', '--json', json, '--report', report]);
  const r = JSON.parse(readFileSync(json, 'utf8'));
  const runs = r.figures.runs as { endpoint: string; server: string; requests: number; non2xx: number; requestsPerSecond: number }[];
  expect(runs.map((x) => `${x.endpoint}/${x.server}`)).toEqual(['create/relaydesk', 'list/relaydesk', 'create/uWS hello-world']);
  for (const x of runs) {
    expect(x.requests).toBeGreaterThan(0);
    expect(x.non2xx).toBe(0);
  }
  expect(r.figures.createVsHelloRatio).toBeGreaterThan(0);
  const html = readFileSync(report, 'utf8');
  for (const id of ['requests', 'latency', 'over-time']) expect(html).toContain(`id="chart-${id}"`);
}, 60_000);
