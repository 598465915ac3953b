/**
 * `npm run bench -- relay`: the same message stream, both ways, through a relaydesk session (customer ↔
 * gateway ↔ technician, or customer ↔ gateway A ↔ gateway link ↔ gateway B ↔ technician) and through Debian's nginx as a TLS `stream` proxy (TLS on both legs, one worker),
 * for each message size. Per size: a peak phase per system (each direction keeps a window of bytes in
 * flight; MB/s of payload delivered, and the CPU-seconds the gateway process(es) or nginx's worker spent), then a paced phase at half of relaydesk's peak message rate through
 * relaydesk, nginx and a direct TLS connection (no hop) for the one-way latency the hop adds. With
 * `--baseline-dir`, the gateway(s) of another checkout relay the same stream in every round too (before/after).
 * With `--floor` (default) a bare uWS.js relay with the gateway's TLS and socket options (bench/relay/uws-floor-server.ts)
 * relays it in every round as well: what uWS.js itself costs per message, the floor under the gateway's figures.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { common, commonOptions, finish, type CommonValues } from '../lib/common.js';
import type { SessionConnection } from '../../clients/sdk/src/node.js';
import { cpuMs } from '../lib/gateway-child.js';
import { Histogram, round } from '../lib/histogram.js';
import { Timeline } from '../lib/load-profile.js';
import { parseOptions, usage, UsageError, type OptionDef } from '../lib/options.js';
import { Progress, RateMeter } from '../lib/progress.js';
import { newReport, type BenchReport } from '../lib/report.js';
import { SourceAddresses } from '../lib/source-addresses.js';
import { parseLogins, parseTargets } from '../lib/targets.js';
import { floorPipe, startUwsFloor, type FloorSend, type UwsFloor } from './floor.js';
import { nginxMissing, startNginx, type NginxProxy } from './nginx.js';
import { Faults, SinkServer, tlsPipe, type Pipe } from './pipes.js';
import { pairSessions, startRelaydeskPipes, type RelaydeskPipes, type Topology } from './topologies.js';

const options = {
  ...commonOptions,
  sizes: { kind: 'list', default: ['1024', '16384', '65536'], help: 'message sizes in bytes' },
  gateways: { kind: 'list', default: ['1', '2'], help: 'relaydesk topologies: 1 = one gateway, 2 = customer on gateway A, technician on B (bridged over the gateway link, Redis registry)' },
  sessions: { kind: 'int', default: 8, min: 1, help: 'parallel sessions (pipes), each pushing both ways' },
  duration: { kind: 'number', default: 5, min: 0.1, help: 'seconds per phase' },
  rounds: { kind: 'int', default: 1, min: 1, help: 'repeat every peak phase this many times, systems alternating (medians and ranges reported)' },
  'window-bytes': { kind: 'int', default: 0, min: 0, help: 'bytes in flight per direction in the peak phase (0 = max(256 KiB, 8 messages))' },
  'paced-fraction': { kind: 'number', default: 0.5, min: 0, help: "paced phase rate as a fraction of relaydesk's peak (0 = skip)" },
  'no-nginx': { kind: 'flag', help: 'relaydesk only (no side-by-side)' },
  'gateway-cpu-prof': { kind: 'string', help: 'write a V8 CPU profile of each gateway under test into this folder' },
  'baseline-dir': { kind: 'string', help: "also relay through the gateway(s) of this checkout (e.g. a git worktree of main) in every round, for before/after next to nginx (this run's load generator drives both)" },
  floor: { kind: 'flag', default: true, help: "in every round also relay through a bare uWS.js SSLApp with the gateway's certificate, ciphers and socket options that pairs two WebSockets per session and forwards every message unchecked: the floor of a uWS.js relay, beside the gateway and nginx (local gateways only; --floor=false to skip)" },
  'floor-send': { kind: 'list', default: ['deferred', 'direct'], help: "how the floor sends, one floor each: deferred (copied, sent corked on the next setImmediate, as the gateway must: the uWS 20.30 TLS read stall, relay/outbox.ts) and direct (inside the message handler: no copy, but one TLS record per message, and the stall); the report's floor at each size is the cheaper" },
} satisfies Record<string, OptionDef>;

interface Values extends CommonValues {
  sizes: string[];
  gateways: string[];
  sessions: number;
  duration: number;
  rounds: number;
  windowBytes: number;
  pacedFraction: number;
  noNginx?: boolean;
  gatewayCpuProf?: string;
  baselineDir?: string;
  floor: boolean;
  floorSend: string[];
}

type System = 'relaydesk' | 'relaydesk-2gw' | 'relaydesk-before' | 'relaydesk-2gw-before' | 'floor-deferred' | 'floor-direct' | 'nginx' | 'direct';
const floorSystem: Record<FloorSend, System> = { deferred: 'floor-deferred', direct: 'floor-direct' };
const systemOf: Record<Topology, System> = { '1': 'relaydesk', '2': 'relaydesk-2gw' };
const baselineOf: Record<Topology, System> = { '1': 'relaydesk-before', '2': 'relaydesk-2gw-before' };
/** The relaydesk systems of the side-by-side table: [system, gateways column]. */
const relaydeskSystems = [
  ['relaydesk', '1'],
  ['relaydesk-before', '1 (before)'],
  ['floor-deferred', 'uWS floor, deferred sends'],
  ['floor-direct', 'uWS floor, direct sends'],
  ['relaydesk-2gw', '2'],
  ['relaydesk-2gw-before', '2 (before)'],
] as const;

interface PhaseResult {
  system: System;
  phase: 'peak' | 'paced';
  round: number;
  sizeBytes: number;
  messages: number;
  megabytesPerSecond: number;
  messagesPerSecond: number;
  /** Scheduled messages skipped because the direction's window was full (paced phase). */
  late: number;
  /** Bytes sent in the phase and still not received 10 s after it ended (a stalled relay). */
  stuckBytes: number;
  latency: ReturnType<Histogram['summaryMs']>;
  /** CPU of the proxy process(es) (the gateway, both gateways, or nginx's worker) over the phase, % of one core. */
  proxyCpuPercent?: number;
  /** MB relayed per CPU-second of the proxy: efficiency, less sensitive to a busy machine than MB/s. */
  megabytesPerProxyCpuSecond?: number;
  /** The same the other way round: proxy CPU-seconds per GB relayed. */
  proxyCpuSecondsPerGigabyte?: number;
  /** CPU of this process (the load generator, both ends of every pipe), % of one core. */
  generatorCpuPercent: number;
  throughput: [number, number][];
  latencyBins: ReturnType<Histogram['bins']>;
}

export async function run(argv: string[]): Promise<void> {
  const parsed = parseOptions('relay', options, argv);
  if (parsed.help) return void process.stdout.write(usage('relay', options) + '\n');
  const o = common(parsed) as Values;
  const sizes = o.sizes.map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 16 || n > 16 << 20) throw new UsageError(`--sizes ${s}: a whole number of bytes from 16 to 16 MiB`);
    return n;
  });
  const floorSends = [...new Set(o.floorSend)].map((m) => {
    if (m !== 'direct' && m !== 'deferred') throw new UsageError(`--floor-send ${m}: direct or deferred`);
    return m as FloorSend;
  });
  const topologies = [...new Set(o.gateways)].map((g) => {
    if (g !== '1' && g !== '2') throw new UsageError(`--gateways ${g}: 1 (one gateway) or 2 (customer and technician on different gateways)`);
    return g as Topology;
  });
  const external = o.target.length > 0;
  const withNginx = !o.noNginx && !external;
  if (withNginx) {
    const missing = nginxMissing();
    if (missing) throw new Error(`${missing}; or run with --no-nginx`);
  }
  const report = newReport('relay', argv, { ...o });
  const started: RelaydeskPipes[] = [];
  let nginx: NginxProxy | undefined;
  const floors: UwsFloor[] = [];
  let sink: SinkServer | undefined;
  const cleanup: (() => void)[] = [];
  const results: PhaseResult[] = [];
  const faults = new Faults();
  /** The floors' own: a floor that stalls or drops is reported with the floor, not as relaydesk disconnecting anybody. */
  const floorFaults = new Faults();
  const connections: SessionConnection[] = [];
  const legs: Partial<Record<System, string[]>> = {};
  try {
    const pipes: Partial<Record<System, Pipe[]>> = {};
    const pidsOf: Partial<Record<System, () => number[]>> = {};
    const sources = new SourceAddresses(external ? parseTargets(o.target, o.ca)[0]!.host : '127.0.0.1', o.sourceAddresses);
    if (external) {
      const target = parseTargets(o.target, o.ca)[0]!;
      const logins = parseLogins(o.login);
      if (!logins.length) throw new UsageError('--target needs --login user:password');
      const paired = await pairSessions(target, target, logins[0]!, o.sessions, sources, cleanup);
      pipes.relaydesk = paired.pipes;
      connections.push(...paired.connections);
    } else {
      const nodeArgs = o.gatewayCpuProf ? ['--cpu-prof', '--cpu-prof-dir', o.gatewayCpuProf] : [];
      const variants: { of: Record<Topology, System>; cwd?: string }[] = [{ of: systemOf }, ...(o.baselineDir ? [{ of: baselineOf, cwd: resolve(o.baselineDir) }] : [])];
      for (const variant of variants) {
        for (const topology of topologies) {
          const r = await startRelaydeskPipes(topology, o.sessions, sources, nodeArgs, variant.cwd);
          started.push(r);
          const system = variant.of[topology];
          pipes[system] = r.pipes;
          pidsOf[system] = () => r.pids;
          connections.push(...r.connections);
        }
      }
    }
    connections.forEach((c, i) => faults.watchSession(c, `session ${i >> 1} ${i % 2 ? 'technician' : 'customer'}`));
    if (o.floor && started[0]) {
      const tls = started[0].first.tls;
      const ca = started[0].first.target.ca!;
      for (const send of floorSends) {
        const floor = await startUwsFloor(send, tls);
        floors.push(floor);
        const system = floorSystem[send];
        pipes[system] = [];
        for (let i = 0; i < o.sessions; i++) pipes[system].push(await floorPipe(floor, ca, i, sources, floorFaults));
        pidsOf[system] = () => [floor.pid];
      }
    }
    if (withNginx && started[0]) {
      const tls = started[0].first.tls;
      const ca = started[0].first.target.ca!;
      sink = new SinkServer({ cert: readFileSync(tls.certFile, 'utf8'), key: readFileSync(tls.keyFile, 'utf8') });
      await sink.listen();
      nginx = await startNginx({ upstreamPort: sink.port, ...tls });
      pipes.nginx = [];
      pipes.direct = [];
      for (let i = 0; i < o.sessions; i++) pipes.nginx.push(await tlsPipe(nginx.port, ca, sink, sources.take(), faults, `nginx ${i}`));
      for (let i = 0; i < o.sessions; i++) pipes.direct.push(await tlsPipe(sink.port, ca, sink, sources.take(), faults, `direct ${i}`));
      pidsOf.nginx = () => {
        const pid = nginx?.workerPid();
        return pid ? [pid] : [];
      };
    }
    for (const p of Object.values(pipes).flat()) cleanup.push(() => (p.a.close(), p.b.close()));
    for (const [system, list] of Object.entries(pipes)) legs[system as System] = list[0]?.legs ?? [];

    // nginx between the two relaydesk topologies: each ratio compares phases measured next to each other.
    // The baseline's phases sit next to the ones they are compared with.
    // The floors sit between relaydesk and nginx: both are compared with them.
    const peakOrder = (['relaydesk-before', 'relaydesk', 'floor-deferred', 'floor-direct', 'nginx', 'relaydesk-2gw', 'relaydesk-2gw-before'] as const).filter((s) => pipes[s]);
    for (const size of sizes) {
      const windowBytes = o.windowBytes || Math.max(256 << 10, 8 * size);
      for (let round = 1; round <= o.rounds; round++) {
        for (const system of peakOrder) results.push(await phase(system, 'peak', round, pipes[system]!, size, windowBytes, 0, o, pidsOf[system]?.() ?? [], system.startsWith('floor') ? floorFaults : faults));
      }
      const relaydeskPeaks = results.filter((x) => x.system === (pipes.relaydesk ? 'relaydesk' : 'relaydesk-2gw') && x.phase === 'peak' && x.sizeBytes === size);
      const rate = Math.round(median(relaydeskPeaks.map((x) => x.messagesPerSecond)) * o.pacedFraction);
      if (rate > 0) {
        for (const system of ['relaydesk-before', 'relaydesk', 'relaydesk-2gw', 'relaydesk-2gw-before', 'nginx', 'direct'] as const) {
          if (!pipes[system]) continue;
          results.push(await phase(system, 'paced', 1, pipes[system]!, size, windowBytes, rate, o, pidsOf[system]?.() ?? [], faults));
        }
      }
    }
    for (const [i, c] of connections.entries()) if (c.state !== 'active') faults.add(`session ${i >> 1} ${i % 2 ? 'technician' : 'customer'}: state ${c.state} at the end`);
  } finally {
    faults.closing = true;
    floorFaults.closing = true;
    for (const c of cleanup) c();
    sink?.close();
    await nginx?.stop();
    for (const f of floors) await f.stop();
    for (const r of started) await r.stop();
  }
  summarize(report, results, sizes, faults, connections.length, o, legs);
  if (floorFaults.list.length) {
    report.figures.floorFaults = floorFaults.list;
    report.notes.push(`The floors' connections: ${floorFaults.list.length} faults (${floorFaults.list.slice(0, 3).join('; ')}); not counted as relaydesk disconnecting anybody.`);
  }
  finish(report, o);
}

/** One phase: rate 0 = each direction keeps `windowBytes` in flight; rate > 0 = that many messages/s in total. */
async function phase(system: System, kind: 'peak' | 'paced', roundNo: number, pipes: Pipe[], size: number, windowBytes: number, rate: number, o: Values, proxyPids: number[], faults: Faults): Promise<PhaseResult> {
  const histogram = new Histogram();
  const timeline = new Timeline(250);
  const meter = new RateMeter();
  // Each pipe carries two directions; inFlight[d] = bytes sent on direction d not yet received.
  const dirs = pipes.flatMap((p) => [{ from: p.a, to: p.b }, { from: p.b, to: p.a }]);
  const inFlight = new Float64Array(dirs.length);
  let stopped = false;
  let bytes = 0;
  let messages = 0;
  let late = 0;
  const t0 = performance.now();
  dirs.forEach((d, i) => {
    d.to.onMessage = (n, sentAt) => {
      inFlight[i]! -= n;
      if (stopped) return;
      const now = performance.now();
      histogram.record((now - sentAt) * 1000);
      bytes += n;
      messages++;
      timeline.mark(n);
      meter.mark(n);
      if (rate === 0) while (inFlight[i]! + size <= windowBytes) send(i);
    };
  });
  const send = (i: number) => {
    inFlight[i]! += size;
    dirs[i]!.from.send(size, performance.now());
  };
  const label = `relay ${system} ${kind} ${sizeLabel(size)}${rate ? ` @${rate.toLocaleString('en-US')} msg/s` : ''}${o.rounds > 1 && kind === 'peak' ? ` round ${roundNo}` : ''}`;
  const progress = new Progress(label, () => `${(meter.perSecond() / 1e6).toFixed(1)} MB/s  messages ${messages.toLocaleString('en-US')}  late ${late}  p99 ${histogram.summaryMs().p99Ms} ms`, { quiet: o.quiet }).start();
  // Summed over the proxy's processes (both gateways); undefined when one of them cannot be read.
  const proxyCpu = () => {
    if (!proxyPids.length) return undefined;
    let sum = 0;
    for (const pid of proxyPids) {
      const ms = cpuMs(pid);
      if (ms === undefined) return undefined;
      sum += ms;
    }
    return sum;
  };
  const cpu0 = proxyCpu();
  const gen0 = process.cpuUsage();
  const endAt = t0 + o.duration * 1000;
  if (rate === 0) {
    for (let i = 0; i < dirs.length; i++) while (inFlight[i]! + size <= windowBytes) send(i);
    await new Promise((r) => setTimeout(r, o.duration * 1000));
  } else {
    let sent = 0;
    let rr = 0;
    while (performance.now() < endAt) {
      const owed = Math.floor(((performance.now() - t0) / 1000) * rate) - sent - late;
      for (let k = 0; k < owed; k++) {
        const i = rr++ % dirs.length;
        if (inFlight[i]! + size <= windowBytes) {
          send(i);
          sent++;
        } else late++;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  stopped = true;
  const elapsed = (performance.now() - t0) / 1000;
  const cpu1 = proxyCpu();
  const gen = process.cpuUsage(gen0);
  progress.stop();
  // Let what is still in flight arrive before the next phase (bounded).
  const drainUntil = performance.now() + 10_000;
  while (inFlight.some((b) => b > 0) && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 5));
  const stuckBytes = inFlight.reduce((a, b) => a + Math.max(0, b), 0);
  if (stuckBytes > 0) faults.add(`${label}: ${stuckBytes} bytes still in flight 10 s after the phase (a stalled connection)`);
  const cpuSeconds = cpu0 !== undefined && cpu1 !== undefined ? (cpu1 - cpu0) / 1000 : undefined;
  return {
    system,
    phase: kind,
    round: roundNo,
    sizeBytes: size,
    messages,
    megabytesPerSecond: round2(bytes / 1e6 / elapsed),
    messagesPerSecond: Math.round(messages / elapsed),
    late,
    stuckBytes,
    latency: histogram.summaryMs(),
    proxyCpuPercent: cpuSeconds !== undefined ? Math.round((100 * cpuSeconds) / elapsed) : undefined,
    megabytesPerProxyCpuSecond: cpuSeconds ? round(bytes / 1e6 / cpuSeconds, 1) : undefined,
    proxyCpuSecondsPerGigabyte: cpuSeconds !== undefined && bytes > 0 ? round(cpuSeconds / (bytes / 1e9), 2) : undefined,
    generatorCpuPercent: Math.round((gen.user + gen.system) / 1e4 / elapsed),
    throughput: timeline.perSecond().map(([t, b]) => [t, round(b / 1e6, 2)]),
    latencyBins: histogram.bins(40),
  };
}

const round2 = (x: number) => round(x, 2);

/** Median and range of a / b over the rounds both have (each ratio between phases of one round), or undefined. */
function perRound(a: PhaseResult[], b: PhaseResult[]): { median: number; min: number; max: number } | undefined {
  const xs = a
    .map((x) => ({ x, y: b.find((y) => y.round === x.round) }))
    .filter(({ x, y }) => x.megabytesPerProxyCpuSecond && y?.megabytesPerProxyCpuSecond)
    .map(({ x, y }) => x.megabytesPerProxyCpuSecond! / y!.megabytesPerProxyCpuSecond!);
  return xs.length ? { median: round(median(xs), 2), min: round(Math.min(...xs), 2), max: round(Math.max(...xs), 2) } : undefined;
}

/**
 * The floor beside the others (--floor): per size, MB per CPU-second of the bare uWS.js relay, its ratio to
 * nginx (how far a uWS.js relay of one WebSocket message per message can get at all), and relaydesk's ratio to
 * it (what the gateway's own work costs on top). Every ratio is per round, then the median.
 */
function floorTable(r: BenchReport, sizes: number[], peaks: (s: System, size: number) => PhaseResult[], bySize: Record<string, unknown>, o: Values): void {
  const rows: (string | number)[][] = [];
  const text = (x?: { median: number; min: number; max: number }) => (x ? `${x.median}${o.rounds > 1 ? ` (${x.min}–${x.max})` : ''}` : '-');
  const mbPerCpu = (s: System, size: number) => {
    const xs = peaks(s, size).map((x) => x.megabytesPerProxyCpuSecond ?? Number.NaN);
    return xs.length ? round(median(xs), 1) : Number.NaN;
  };
  for (const size of sizes) {
    const floors = (['floor-deferred', 'floor-direct'] as const).filter((s) => peaks(s, size).length);
    if (!floors.length) continue;
    const entry = bySize[size] as Record<string, unknown>;
    const relaydeskVsNginx = perRound(peaks('relaydesk', size), peaks('nginx', size));
    // Only a floor that relayed everything counts: direct sends stall connections once reads reach ~512 KiB (relay/outbox.ts).
    const relayedAll = (f: System) => peaks(f, size).every((x) => x.stuckBytes === 0);
    for (const system of floors) {
      const vsNginx = perRound(peaks(system, size), peaks('nginx', size));
      const relaydeskVsFloor = perRound(peaks('relaydesk', size), peaks(system, size));
      entry[system] = { ...(entry[system] as object), vsNginx, relaydeskVsFloor };
      rows.push([sizeLabel(size), `${system}${relayedAll(system) ? '' : ' (stalled: not a floor)'}`, mbPerCpu(system, size), mbPerCpu('relaydesk', size), mbPerCpu('nginx', size), text(vsNginx), text(relaydeskVsNginx), text(relaydeskVsFloor)]);
    }
    // The floor at this size: the cheaper way of sending (deferred wins on small messages, direct on large ones).
    const correct = floors.filter(relayedAll);
    if (!correct.length) continue;
    const best = correct.reduce((a, b) => (mbPerCpu(b, size) > mbPerCpu(a, size) ? b : a));
    const vsNginx = perRound(peaks(best, size), peaks('nginx', size));
    const relaydeskVsFloor = perRound(peaks('relaydesk', size), peaks(best, size));
    entry.floor = { system: best, MBPerCpuSecond: mbPerCpu(best, size), vsNginx, relaydeskVsFloor };
    const goal = cpuRatioGoal(size);
    if (vsNginx) r.notes.push(`${sizeLabel(size)}: the uWS.js floor (${best}, the cheaper) relays ${text(vsNginx)} × nginx's MB per CPU-second${goal !== undefined ? `, ${vsNginx.median >= goal ? 'at or above' : 'below'} the ${goal} the target asks of relaydesk` : ''}; relaydesk relays ${text(relaydeskVsFloor)} × the floor's.`);
  }
  if (rows.length) {
    r.tables.push({
      title: `The uWS.js floor: MB per CPU-second, and ratios per round${o.rounds > 1 ? ` (median of ${o.rounds}, range in brackets)` : ''}`,
      columns: ['size', 'floor', 'floor MB per CPU-s', 'relaydesk MB per CPU-s', 'nginx MB per CPU-s', 'floor / nginx', 'relaydesk / nginx', 'relaydesk / floor'],
      rows,
    });
  }
}

function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The issue's targets for one gateway, per CPU-second against nginx (issue 9, "Benchmarks: Relay"). */
const cpuRatioGoal = (size: number) => (size >= 65536 ? 0.9 : size <= 1024 ? 0.7 : undefined);

const sizeLabel = (n: number) => (n >= 1024 ? `${n / 1024} KiB` : `${n} B`);

function summarize(r: BenchReport, results: PhaseResult[], sizes: number[], faults: Faults, connectionCount: number, o: Values, legs: Partial<Record<System, string[]>>): void {
  r.figures.phases = results;
  const find = (system: System, kind: string, size: number) => results.find((x) => x.system === system && x.phase === kind && x.sizeBytes === size);
  const peaks = (system: System, size: number) => results.filter((x) => x.system === system && x.phase === 'peak' && x.sizeBytes === size);
  const bySize: Record<string, unknown> = {};
  const sideBySide: (string | number)[][] = [];
  for (const size of sizes) {
    const ng = peaks('nginx', size);
    const direct = find('direct', 'paced', size);
    const ngPaced = find('nginx', 'paced', size);
    const added = (x?: PhaseResult) => (x && direct ? round(x.latency.p99Ms - direct.latency.p99Ms, 3) : undefined);
    const addedP50 = (x?: PhaseResult) => (x && direct ? round(x.latency.p50Ms - direct.latency.p50Ms, 3) : undefined);
    const entry: Record<string, unknown> = { nginxMBps: ng.length ? median(ng.map((x) => x.megabytesPerSecond)) : undefined, nginxMBPerCpuSecond: ng.length ? median(ng.map((x) => x.megabytesPerProxyCpuSecond ?? Number.NaN)) : undefined, nginxAddedP99Ms: added(ngPaced), nginxAddedP50Ms: addedP50(ngPaced) };
    for (const [system, gatewaysLabel] of relaydeskSystems) {
      const rd = peaks(system, size);
      if (!rd.length) continue;
      // Ratios per round (each against the nginx phase of the same round, measured next to it), then their median.
      const ratios = rd.map((x) => ({ x, n: ng.find((y) => y.round === x.round) })).filter(({ n }) => n);
      const mbpsRatios = ratios.map(({ x, n }) => x.megabytesPerSecond / n!.megabytesPerSecond);
      const cpuRatios = ratios.filter(({ x, n }) => x.megabytesPerProxyCpuSecond && n!.megabytesPerProxyCpuSecond).map(({ x, n }) => x.megabytesPerProxyCpuSecond! / n!.megabytesPerProxyCpuSecond!);
      const paced = find(system, 'paced', size);
      const e = {
        MBps: median(rd.map((x) => x.megabytesPerSecond)),
        MBPerCpuSecond: round(median(rd.map((x) => x.megabytesPerProxyCpuSecond ?? Number.NaN)), 1),
        cpuSecondsPerGigabyte: round(median(rd.map((x) => x.proxyCpuSecondsPerGigabyte ?? Number.NaN)), 2),
        ratio: mbpsRatios.length ? round(median(mbpsRatios), 2) : undefined,
        cpuRatio: cpuRatios.length ? round(median(cpuRatios), 2) : undefined,
        cpuRatioRange: cpuRatios.length ? [round(Math.min(...cpuRatios), 2), round(Math.max(...cpuRatios), 2)] : undefined,
        pacedMessagesPerSecond: paced?.messagesPerSecond,
        addedP99Ms: added(paced),
        addedP50Ms: addedP50(paced),
      };
      entry[system] = e;
      const range = e.cpuRatioRange && o.rounds > 1 ? ` (${e.cpuRatioRange[0]}–${e.cpuRatioRange[1]})` : '';
      sideBySide.push([sizeLabel(size), gatewaysLabel, e.MBps, (entry.nginxMBps as number | undefined) ?? '-', e.ratio ?? '-', e.cpuSecondsPerGigabyte, ng.length ? round(median(ng.map((x) => x.proxyCpuSecondsPerGigabyte ?? Number.NaN)), 2) : '-', e.cpuRatio !== undefined ? `${e.cpuRatio}${range}` : '-', `${e.addedP50Ms ?? '-'} / ${e.addedP99Ms ?? '-'}`]);
      const goal = cpuRatioGoal(size);
      if (system === 'relaydesk' && goal !== undefined && e.cpuRatio !== undefined) {
        r.goals.push({ goal: `one gateway: MB per CPU-second ≥ ${goal} × nginx at ${sizeLabel(size)}`, measured: `${e.cpuRatio}${range} (${e.MBPerCpuSecond} vs ${round((entry.nginxMBPerCpuSecond as number) ?? Number.NaN, 1)} MB per CPU-s)`, met: e.cpuRatio >= goal });
      }
      const a = e.addedP99Ms;
      // A negative difference means the run's noise (other load on the machine) exceeds the hop's cost: no verdict.
      if (system === 'relaydesk' && a !== undefined) r.goals.push({ goal: `p99 added latency < 1 ms at half of peak (${sizeLabel(size)})`, measured: `${a} ms (p99 ${paced!.latency.p99Ms} vs direct ${direct!.latency.p99Ms} ms)`, met: a < 0 ? null : a < 1 });
    }
    bySize[size] = entry;
  }
  r.figures.bySize = bySize;
  // Before/after (--baseline-dir): MB per gateway CPU-second of this tree over the baseline's, per round (phases next to each other).
  const gains: string[] = [];
  for (const size of sizes) {
    for (const [after, before, label] of [['relaydesk', 'relaydesk-before', 'one gateway'], ['relaydesk-2gw', 'relaydesk-2gw-before', 'two gateways']] as const) {
      const b = peaks(before, size);
      if (!b.length) continue;
      const per = peaks(after, size)
        .map((x) => ({ x, y: b.find((y) => y.round === x.round) }))
        .filter(({ x, y }) => x.megabytesPerProxyCpuSecond && y?.megabytesPerProxyCpuSecond)
        .map(({ x, y }) => x.megabytesPerProxyCpuSecond! / y!.megabytesPerProxyCpuSecond!);
      if (!per.length) continue;
      (bySize[size] as Record<string, unknown>)[`${after}VsBefore`] = round(median(per), 2);
      // At the same message rate (the paced phase) both do the same work: less sensitive to how much CPU the machine gives.
      const pa = find(after, 'paced', size)?.megabytesPerProxyCpuSecond;
      const pb = find(before, 'paced', size)?.megabytesPerProxyCpuSecond;
      const paced = pa && pb ? round(pa / pb, 2) : undefined;
      if (paced !== undefined) (bySize[size] as Record<string, unknown>)[`${after}VsBeforePaced`] = paced;
      gains.push(`${sizeLabel(size)} ${label} ×${round(median(per), 2)}${per.length > 1 ? ` (${round(Math.min(...per), 2)}–${round(Math.max(...per), 2)})` : ''}${paced !== undefined ? `, at the paced rate ×${paced}` : ''}`);
    }
  }
  if (gains.length) r.notes.push(`After / before (--baseline-dir ${o.baselineDir}), MB per gateway CPU-second, median of the rounds: ${gains.join('; ')}.`);
  floorTable(r, sizes, peaks, bySize, o);
  r.figures.faults = faults.list;
  r.figures.tls = legs;
  r.goals.push({ goal: `nobody disconnected (${connectionCount} session connections, every TLS pipe)`, measured: `disconnected: ${faults.list.length}${faults.list.length ? ` (${faults.list.slice(0, 3).join('; ')})` : ''}`, met: faults.list.length === 0 });
  r.tables.push({
    title: 'Relay: same stream both ways, relaydesk vs nginx stream proxy (TLS both legs)',
    columns: ['size', 'system', 'phase', 'round', 'MB/s', 'msg/s', 'p50 ms', 'p99 ms', 'late', 'proxy CPU %', 'MB per CPU-s', 'CPU-s per GB', 'generator CPU %'],
    rows: results.map((x) => [sizeLabel(x.sizeBytes), x.system, x.phase, x.round, x.megabytesPerSecond, x.messagesPerSecond, x.latency.p50Ms, x.latency.p99Ms, x.late, x.proxyCpuPercent ?? '-', x.megabytesPerProxyCpuSecond ?? '-', x.proxyCpuSecondsPerGigabyte ?? '-', x.generatorCpuPercent]),
  });
  r.tables.push({
    title: `Side by side (peak${o.rounds > 1 ? `, medians of ${o.rounds} rounds, range of the per-round ratio in brackets` : ''})`,
    columns: ['size', 'gateways', 'relaydesk MB/s', 'nginx MB/s', 'ratio', 'gateway CPU-s per GB', 'nginx CPU-s per GB', 'ratio per CPU-s', 'relaydesk added p50/p99 ms'],
    rows: sideBySide,
  });
  r.notes.push(`TLS as negotiated (first pipe of each): ${Object.entries(legs).map(([s, l]) => `${s}: ${l.join(', ')}`).join('; ')}.`);
  r.notes.push('Two gateways: the CPU is both gateway processes together (every byte crosses both, and the gateway link between them), against one nginx.');
  r.notes.push('MB/s counts payload bytes delivered, both directions together. Added latency = p99 one-way latency through the hop minus p99 over a direct TLS connection at the same message rate.');
  const systems = [...new Set(results.map((x) => x.system))].filter((s) => s !== 'direct');
  const first = (s: System, z: number) => results.find((x) => x.system === s && x.phase === 'peak' && x.sizeBytes === z);
  r.charts.push({
    id: 'throughput',
    title: 'Peak relay throughput (MB/s, both directions)',
    kind: 'bars',
    yLabel: 'MB/s',
    groups: sizes.map(sizeLabel),
    series: systems.map((s) => ({ name: s, values: sizes.map((z) => median(peaks(s, z).map((x) => x.megabytesPerSecond)) || 0) })),
  });
  const big = sizes[sizes.length - 1]!;
  r.charts.push({
    id: 'latency',
    title: `One-way latency at half of peak, ${sizeLabel(big)} messages`,
    kind: 'histogram',
    xLabel: 'ms (log scale)',
    yLabel: '% of messages',
    series: (['relaydesk', 'relaydesk-2gw', 'nginx', 'direct'] as const).flatMap((s) => {
      const x = find(s, 'paced', big);
      return x ? [{ name: s, bins: x.latencyBins }] : [];
    }),
  });
  r.charts.push({
    id: 'over-time',
    title: `Throughput over time, peak phase, ${sizeLabel(big)} messages`,
    kind: 'line',
    xLabel: 'seconds',
    yLabel: 'MB/s',
    series: systems.flatMap((s) => {
      const x = first(s, big);
      return x ? [{ name: s, points: x.throughput }] : [];
    }),
  });
}
