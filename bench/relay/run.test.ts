import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { nginxMissing } from './nginx.js';
import { run } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-relay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('relays the same stream through one gateway, two gateways, the bare uWS.js floor and nginx, disconnects nobody, and writes well-formed JSON and HTML', async () => {
  // CI installs it; a machine without it must say how to get it, not skip silently.
  const missing = nginxMissing();
  if (missing) throw new Error(`the relay benchmark needs nginx with the stream module: ${missing}`);
  const json = join(dir, 'r.json');
  const report = join(dir, 'r.html');
  await run(['--sizes', '1024', '--sessions', '2', '--duration', '0.3', '--quiet', '--json', json, '--report', report]);
  const r = JSON.parse(readFileSync(json, 'utf8'));
  const phases = r.figures.phases as { system: string; phase: string; sizeBytes: number; messages: number; megabytesPerSecond: number; proxyCpuSecondsPerGigabyte?: number; latency: { p99Ms: number } }[];
  // One size keeps this test short; the benchmark itself runs 1, 16 and 64 KiB.
  for (const size of [1024]) {
    for (const [system, phase] of [['relaydesk', 'peak'], ['relaydesk-2gw', 'peak'], ['floor-deferred', 'peak'], ['floor-direct', 'peak'], ['nginx', 'peak'], ['relaydesk', 'paced'], ['relaydesk-2gw', 'paced'], ['nginx', 'paced'], ['direct', 'paced']]) {
      const p = phases.find((x) => x.system === system && x.phase === phase && x.sizeBytes === size);
      expect(p, `${system} ${phase} ${size}`).toBeDefined();
      expect(p!.messages).toBeGreaterThan(0);
      expect(p!.megabytesPerSecond).toBeGreaterThan(0);
      // CPU time is read in 10 ms ticks: a 0.3 s phase of an idle-ish proxy may read 0.
      if (phase === 'peak') expect(p!.proxyCpuSecondsPerGigabyte, `${system} ${size} CPU per GB`).toBeGreaterThanOrEqual(0);
    }
    expect(r.figures.bySize[size].relaydesk.ratio).toBeGreaterThan(0);
    expect(r.figures.bySize[size]['relaydesk-2gw'].MBps).toBeGreaterThan(0);
    // The floor (on by default): the cheaper of its two ways of sending, compared with nginx and relaydesk per round.
    const floor = r.figures.bySize[size].floor;
    expect(['floor-deferred', 'floor-direct']).toContain(floor.system);
    if (floor.vsNginx) expect(floor.vsNginx.median).toBeGreaterThan(0);
  }
  expect(r.tables.map((t: { title: string }) => t.title).join('\n')).toMatch(/uWS\.js floor/);
  expect(r.notes.join('\n')).toMatch(/1 KiB: the uWS\.js floor \(floor-(deferred|direct), the cheaper\) relays [\d.]+ × nginx's MB per CPU-second, (below|at or above) the 0\.7/);
  expect(r.figures.faults).toEqual([]); // nobody was disconnected, no error frame (e.g. E_FLOW_CONTROL)
  const html = readFileSync(report, 'utf8');
  for (const id of ['throughput', 'latency', 'over-time']) expect(html).toContain(`id="chart-${id}"`);
}, 90_000);

it('with --baseline-dir relays through that checkout’s gateway in the same run and reports after / before, and the TLS of every leg', async () => {
  const json = join(dir, 'b.json');
  // This checkout as its own baseline: what is checked is that both run side by side and are compared.
  await run(['--sizes', '1024', '--sessions', '1', '--gateways', '1', '--duration', '0.3', '--paced-fraction', '0', '--baseline-dir', '.', '--floor=false', '--quiet', '--json', json]);
  const r = JSON.parse(readFileSync(json, 'utf8'));
  const systems = (r.figures.phases as { system: string }[]).map((p) => p.system);
  expect(systems).toEqual(['relaydesk-before', 'relaydesk', 'nginx']); // --floor=false: no floor phases
  expect(r.figures.bySize[1024]['relaydesk-before'].MBps).toBeGreaterThan(0);
  expect(r.notes.join('\n')).toMatch(/After \/ before .*1 KiB one gateway ×/);
  // Every leg of both systems negotiated TLS, and the same suite (the comparison's crypto is equal).
  const legs = Object.values(r.figures.tls as Record<string, string[]>).flat();
  expect(legs.length).toBeGreaterThanOrEqual(5);
  expect(new Set(legs.map((l) => l.split(' ').slice(-2).join(' '))).size).toBe(1);
  expect(r.figures.faults).toEqual([]);
}, 90_000);

it('refuses an unusable message size or floor mode with the reason', async () => {
  await expect(run(['--sizes', '8', '--quiet'])).rejects.toThrow(/--sizes 8/);
  await expect(run(['--floor-send', 'later', '--quiet'])).rejects.toThrow(/--floor-send later: direct or deferred/);
});
