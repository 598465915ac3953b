import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startLocalGateway } from '../lib/gateway-child.js';
import { run, SloMissed } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-mix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Two worker processes, a few short sessions that replay the recording, chat and send data; checks what the
// technician side measured, the gateway CPU per unit of work, and the JSON/HTML; no speed is asserted.
it('runs a session mix from worker processes and reports what a technician feels, with gateway CPU per unit', async () => {
  const json = join(dir, 'm.json');
  const html = join(dir, 'm.html');
  await run(['--workers', '2', '--rate', '4', '--ramp-up', '0', '--hold', '1.5', '--session-seconds', '1.5', '--transfer', '0.5', '--transfer-bytes', '200000',
    '--recording-frames', '20', '--technicians', '2', '--quiet', '--json', json, '--report', html, '--slo', 'pairing.p99<60s,errors<=50%']);
  const r = JSON.parse(readFileSync(json, 'utf8'));
  const f = r.figures;
  expect(f.workers).toBe(2);
  expect(f.counters.sessionsStarted).toBeGreaterThanOrEqual(2);
  expect(f.counters.sessionsFailed).toBe(0);
  expect(f.latencies.pairing.count).toBe(f.counters.sessionsStarted);
  expect(f.latencies['first-picture'].count).toBe(f.counters.sessionsStarted); // every session replays (screen=1)
  expect(f.latencies.frame.count).toBeGreaterThan(0);
  expect(f.counters.framesReceived).toBeLessThanOrEqual(f.counters.framesSent);
  expect(f.latencies.chat.count).toBeGreaterThan(0);
  expect(f.counters.transfersDone).toBeGreaterThan(0);
  expect(f.counters.transferBytes).toBe(f.counters.transfersDone * 200000);
  expect(f.gateway.cpuMsPerSession).toBeGreaterThan(0);
  expect(f.gateway.cpuUsPerDeliveredFrame).toBeGreaterThan(0);
  expect(f.slo.map((s: { met: boolean }) => s.met)).toEqual([true, true]);
  expect(readFileSync(html, 'utf8')).toContain('id="chart-frame-delay"');
}, 120_000);

it('fails the run (exit code 3 from bench/main.ts) when a threshold is missed, after writing the report', async () => {
  const json = join(dir, 'slo.json');
  const failed = await run(['--workers', '1', '--rate', '2', '--ramp-up', '0', '--hold', '0.6', '--session-seconds', '0.3', '--screen', '0', '--chat', '0', '--transfer', '0',
    '--technicians', '1', '--quiet', '--json', json, '--slo', 'pairing.p50<0.001ms,frame.p99<100ms']).then(() => null, (e: unknown) => e);
  expect(failed).toBeInstanceOf(SloMissed);
  expect((failed as SloMissed).exitCode).toBe(3);
  // frame: no screen sessions, nothing measured, which is a miss too.
  expect((failed as SloMissed).missed.map((s) => s.text)).toEqual(['pairing.p50<0.001ms', 'frame.p99<100ms']);
  expect(JSON.parse(readFileSync(json, 'utf8')).figures.slo).toHaveLength(2);
}, 120_000);

it('drives a deployment given by --target and reads its CPU per unit of work from --metrics', async () => {
  const gw = await startLocalGateway({ technicians: 1 });
  try {
    const json = join(dir, 'target.json');
    const { username, password } = gw.technicians[0]!;
    await run(['--target', gw.target.baseUrl, '--ca', gw.tls.caFile, '--login', `${username}:${password}`, '--metrics', `http://127.0.0.1:${gw.adminPort}/metrics`,
      '--workers', '1', '--rate', '3', '--ramp-up', '0', '--hold', '1', '--session-seconds', '0.5', '--screen', '0', '--transfer', '0', '--quiet', '--json', json]);
    const f = JSON.parse(readFileSync(json, 'utf8')).figures;
    expect(f.counters.sessionsCompleted).toBeGreaterThan(0);
    expect(f.counters.sessionsFailed).toBe(0);
    expect(f.gateway.cpuMsPerSession).toBeTypeOf('number');
    expect(f.gateway.peakRssMiB).toBeGreaterThan(10);
    await expect(run(['--metrics', 'http://127.0.0.1:1/metrics', '--quiet'])).rejects.toThrow(/--metrics is for --target/);
  } finally {
    await gw.stop();
  }
}, 120_000);
