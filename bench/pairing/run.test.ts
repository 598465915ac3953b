import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startLocalGateway } from '../lib/gateway-child.js';
import { run } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-pairing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('pairs sessions in memory and on Redis and writes well-formed JSON, HTML and SVG', async () => {
  const json = join(dir, 'p.json');
  const report = join(dir, 'p.html');
  await run(['--registry', 'memory,redis', '--technicians', '2', '--duration', '0.5', '--half-duration', '0.3', '--concurrency', '4',
    '--redis-benchmark-requests', '2000', '--monitor-pairings', '3', '--waiting', '6', '--load-rate', '5', '--load-duration', '0.4', '--active', '4',
    '--trace-commands', '1', '--idle-sample', '0.2',
    '--quiet', '--json', json, '--report', report, '--svg-dir', join(dir, 'svg')]);
  const r = JSON.parse(readFileSync(json, 'utf8'));
  for (const backend of ['memory', 'redis']) {
    const [peak, half, crowd] = r.figures.backends[backend];
    expect(peak.phase).toBe('peak');
    expect(peak.completed).toBeGreaterThan(0);
    expect(peak.failed).toBe(0);
    expect(peak.pairingsPerSecond).toBeGreaterThan(0);
    expect(peak.latency.p99Ms).toBeGreaterThanOrEqual(peak.latency.p50Ms);
    expect(half.phase).toMatch(/^half/);
    expect(half.latency.count).toBe(half.completed);
    // Beside 6 waiting customers held by idle workers; the gateway's memory read with it.
    expect(crowd).toMatchObject({ waitingHeld: 6, failed: 0 });
    expect(crowd.gatewayRssMiB).toBeGreaterThan(0);
    expect(peak.gatewayCpuMsPerPairing).toBeGreaterThan(0);
    expect(peak.gatewayIdleCpuMsPerSecond).toBeGreaterThanOrEqual(0);
    expect(peak.gatewayCpuMsPerPairingNetOfIdle).toBeLessThanOrEqual(peak.gatewayCpuMsPerPairing);
    // Technicians are browsers: their pickup WebSockets resume the TLS session of their earlier connections.
    expect(peak.technicianTls.resumed).toBeGreaterThan(0);
    // The bare uWS TLS floor beside it: each pairing's two handshakes, the technician's resumed like the pairing's.
    expect(r.figures.floors[backend].handshakes).toBe(2 * Math.min(peak.completed, 3000));
    expect(r.figures.floors[backend].resumed).toBeGreaterThan(0);
  }
  const redisPeak = r.figures.backends.redis[0];
  expect(redisPeak.redisBytesPerActiveSession).toBeGreaterThan(0);
  expect(r.figures.backends.redis[2].redisBytesPerWaiting).toBeTypeOf('number'); // 6 sessions: too few to assert a sign through allocator noise
  // MONITOR: commands sent (a script call is one) apart from those run inside scripts.
  expect(redisPeak.redisCommandsSentPerPairing).toBeGreaterThan(5);
  expect(redisPeak.redisCommandsInScriptsPerPairing).toBeGreaterThan(0);
  expect(r.figures.backends.redis[0].redisCommandsPerPairing).toBeGreaterThan(0);
  expect(r.figures.redisBenchmark.SET).toBeGreaterThan(0);
  // --trace-commands: one pairing step by step, every step talks to Redis, the claim is one script call.
  const trace = redisPeak.redisTrace as { step: string; command: string; inScript: boolean }[];
  expect(new Set(trace.map((c) => c.step))).toEqual(new Set(['create', 'join', 'pickup', 'end']));
  expect(trace.filter((c) => c.step === 'pickup' && !c.inScript).map((c) => c.command)).toContain('EVALSHA rdUpdate');
  expect(r.goals.length).toBe(4);
  const html = readFileSync(report, 'utf8');
  expect(html).toContain('id="chart-latency"');
  expect(html).toContain('id="chart-throughput"');
  expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  expect(readdirSync(join(dir, 'svg')).sort()).toEqual(['pairing-latency.svg', 'pairing-throughput.svg']);
}, 60_000);

it('drives a deployment given by --target, pinning its CA from --ca, with a technician from --login', async () => {
  const gw = await startLocalGateway({ technicians: 1 });
  try {
    const json = join(dir, 't.json');
    const { username, password } = gw.technicians[0]!;
    await run(['--target', gw.target.baseUrl, '--ca', gw.tls.caFile, '--login', `${username}:${password}`, '--duration', '0.4', '--half-duration', '0', '--concurrency', '2', '--quiet', '--json', json]);
    const [peak] = JSON.parse(readFileSync(json, 'utf8')).figures.backends.target;
    expect(peak.completed).toBeGreaterThan(0);
    expect(peak.failed).toBe(0);
    // Pinning: the system CAs do not know the gateway's self-signed CA, so without --ca nothing pairs.
    await expect(run(['--target', gw.target.baseUrl, '--login', `${username}:${password}`, '--duration', '0.2', '--half-duration', '0', '--quiet'])).rejects.toThrow(/certificate/);
  } finally {
    await gw.stop();
  }
}, 60_000);

it('--side-by-side loads the baseline checkout and this one at the same time', async () => {
  const json = join(dir, 's.json');
  // This checkout as its own baseline: what matters here is that both run and both are reported.
  await run(['--registry', 'memory', '--baseline-dir', '.', '--side-by-side', '--technicians', '1', '--duration', '0.4', '--half-duration', '0', '--concurrency', '2',
    '--floor=false', '--idle-sample', '0', '--quiet', '--json', json]);
  const backends = JSON.parse(readFileSync(json, 'utf8')).figures.backends;
  for (const label of ['memory (baseline)', 'memory']) expect(backends[label][0]).toMatchObject({ phase: 'peak', failed: 0 });
  expect(backends.memory[0].completed).toBeGreaterThan(0);
}, 60_000);
