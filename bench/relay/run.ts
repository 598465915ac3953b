/**
 * `npm run bench -- relay`: the same message stream, both ways, through a relaydesk session (customer ↔
 * gateway ↔ technician) and through Debian's nginx as a TLS `stream` proxy (TLS on both legs, one worker),
 * for each message size. Per size: a peak phase per system (each direction keeps a window of bytes in
 * flight; MB/s of payload delivered), then a paced phase at half of relaydesk's peak message rate through
 * relaydesk, nginx and a direct TLS connection (no hop) for the one-way latency the hop adds.
 */
import { readFileSync } from 'node:fs';
import { common, commonOptions, finish, type CommonValues } from '../lib/common.js';
import { cpuMs, startLocalGateway, type LocalGateway } from '../lib/gateway-child.js';
import { Histogram, round } from '../lib/histogram.js';
import { Timeline } from '../lib/load-profile.js';
import { parseOptions, usage, UsageError, type OptionDef } from '../lib/options.js';
import { Progress, RateMeter } from '../lib/progress.js';
import { newReport, type BenchReport } from '../lib/report.js';
import { SourceAddresses } from '../lib/source-addresses.js';
import { clientFor, parseLogins, parseTargets, type Credentials, type Target } from '../lib/targets.js';
import { nginxMissing, startNginx, type NginxProxy } from './nginx.js';
import { sessionPipe, SinkServer, tlsPipe, type Pipe } from './pipes.js';

const options = {
  ...commonOptions,
  sizes: { kind: 'list', default: ['1024', '65536'], help: 'message sizes in bytes' },
  sessions: { kind: 'int', default: 8, min: 1, help: 'parallel sessions (pipes), each pushing both ways' },
  duration: { kind: 'number', default: 5, min: 0.1, help: 'seconds per phase' },
  'window-bytes': { kind: 'int', default: 0, min: 0, help: 'bytes in flight per direction in the peak phase (0 = max(256 KiB, 8 messages))' },
  'paced-fraction': { kind: 'number', default: 0.5, min: 0, help: "paced phase rate as a fraction of relaydesk's peak (0 = skip)" },
  'no-nginx': { kind: 'flag', help: 'relaydesk only (no side-by-side)' },
} satisfies Record<string, OptionDef>;

interface Values extends CommonValues {
  sizes: string[];
  sessions: number;
  duration: number;
  windowBytes: number;
  pacedFraction: number;
  noNginx?: boolean;
}

type System = 'relaydesk' | 'nginx' | 'direct';

interface PhaseResult {
  system: System;
  phase: 'peak' | 'paced';
  sizeBytes: number;
  messages: number;
  megabytesPerSecond: number;
  messagesPerSecond: number;
  /** Scheduled messages skipped because the direction's window was full (paced phase). */
  late: number;
  latency: ReturnType<Histogram['summaryMs']>;
  /** CPU of the proxy process (gateway, or nginx's worker) over the phase, % of one core. */
  proxyCpuPercent?: number;
  /** MB relayed per CPU-second of the proxy: efficiency, less sensitive to a busy machine than MB/s. */
  megabytesPerProxyCpuSecond?: number;
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
  const external = o.target.length > 0;
  const withNginx = !o.noNginx && !external;
  if (withNginx) {
    const missing = nginxMissing();
    if (missing) throw new Error(`${missing}; or run with --no-nginx`);
  }
  const report = newReport('relay', argv, { ...o });
  let gw: LocalGateway | undefined;
  let nginx: NginxProxy | undefined;
  let sink: SinkServer | undefined;
  const cleanup: (() => void)[] = [];
  const results: PhaseResult[] = [];
  try {
    let target: Target;
    let logins: Credentials[];
    if (external) {
      target = parseTargets(o.target, o.ca)[0]!;
      logins = parseLogins(o.login);
      if (!logins.length) throw new UsageError('--target needs --login user:password');
    } else {
      gw = await startLocalGateway({ technicians: 1 });
      target = gw.target;
      logins = gw.technicians;
    }
    const sources = new SourceAddresses(target.host, o.sourceAddresses);
    const tech = clientFor(target, sources.take());
    cleanup.push(() => tech.close());
    await tech.client.login(logins[0]!.username, logins[0]!.password);
    const relaydeskPipes: Pipe[] = [];
    for (let i = 0; i < o.sessions; i++) {
      const cust = clientFor(target, sources.take());
      cleanup.push(() => cust.close());
      const s = await tech.client.createSession();
      const c = await cust.client.joinSession({ pin: s.pin }, `relay ${i}`);
      const t = await tech.client.pickUp(s.guid);
      await c.waitFor('active');
      relaydeskPipes.push(sessionPipe(c, t));
    }
    const pipes: Partial<Record<System, Pipe[]>> = { relaydesk: relaydeskPipes };
    const pidOf: Partial<Record<System, () => number | undefined>> = { relaydesk: () => gw?.pid };
    if (withNginx && gw) {
      sink = new SinkServer({ cert: readFileSync(gw.tls.certFile, 'utf8'), key: readFileSync(gw.tls.keyFile, 'utf8') });
      await sink.listen();
      nginx = await startNginx({ upstreamPort: sink.port, ...gw.tls });
      pipes.nginx = [];
      pipes.direct = [];
      for (let i = 0; i < o.sessions; i++) pipes.nginx.push(await tlsPipe(nginx.port, target.ca!, sink, sources.take()));
      for (let i = 0; i < o.sessions; i++) pipes.direct.push(await tlsPipe(sink.port, target.ca!, sink, sources.take()));
      pidOf.nginx = () => nginx?.workerPid();
    }
    for (const p of Object.values(pipes).flat()) cleanup.push(() => (p.a.close(), p.b.close()));

    for (const size of sizes) {
      const windowBytes = o.windowBytes || Math.max(256 << 10, 8 * size);
      const peaks: Partial<Record<System, PhaseResult>> = {};
      for (const system of ['relaydesk', 'nginx'] as const) {
        if (!pipes[system]) continue;
        peaks[system] = await phase(system, 'peak', pipes[system]!, size, windowBytes, 0, o, pidOf[system]?.());
        results.push(peaks[system]!);
      }
      const rate = Math.round(peaks.relaydesk!.messagesPerSecond * o.pacedFraction);
      if (rate > 0) {
        for (const system of ['relaydesk', 'nginx', 'direct'] as const) {
          if (!pipes[system]) continue;
          results.push(await phase(system, 'paced', pipes[system]!, size, windowBytes, rate, o, pidOf[system]?.()));
        }
      }
    }
  } finally {
    for (const c of cleanup) c();
    sink?.close();
    await nginx?.stop();
    await gw?.stop();
  }
  summarize(report, results, sizes);
  finish(report, o);
}

/** One phase: rate 0 = each direction keeps `windowBytes` in flight; rate > 0 = that many messages/s in total. */
async function phase(system: System, kind: 'peak' | 'paced', pipes: Pipe[], size: number, windowBytes: number, rate: number, o: Values, proxyPid?: number): Promise<PhaseResult> {
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
  const label = `relay ${system} ${kind} ${size >= 1024 ? `${size / 1024} KiB` : `${size} B`}${rate ? ` @${rate.toLocaleString('en-US')} msg/s` : ''}`;
  const progress = new Progress(label, () => `${(meter.perSecond() / 1e6).toFixed(1)} MB/s  messages ${messages.toLocaleString('en-US')}  late ${late}  p99 ${histogram.summaryMs().p99Ms} ms`, { quiet: o.quiet }).start();
  const cpu0 = proxyPid ? cpuMs(proxyPid) : undefined;
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
  const cpu1 = proxyPid ? cpuMs(proxyPid) : undefined;
  progress.stop();
  // Let what is still in flight arrive before the next phase (bounded).
  const drainUntil = performance.now() + 10_000;
  while (inFlight.some((b) => b > 0) && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 5));
  const cpuSeconds = cpu0 !== undefined && cpu1 !== undefined ? (cpu1 - cpu0) / 1000 : undefined;
  return {
    system,
    phase: kind,
    sizeBytes: size,
    messages,
    megabytesPerSecond: round(bytes / 1e6 / elapsed, 2),
    messagesPerSecond: round(messages / elapsed, 0),
    late,
    latency: histogram.summaryMs(),
    proxyCpuPercent: cpuSeconds !== undefined ? round((100 * cpuSeconds) / elapsed, 0) : undefined,
    megabytesPerProxyCpuSecond: cpuSeconds ? round(bytes / 1e6 / cpuSeconds, 1) : undefined,
    throughput: timeline.perSecond().map(([t, b]) => [t, round(b / 1e6, 2)]),
    latencyBins: histogram.bins(40),
  };
}

const sizeLabel = (n: number) => (n >= 1024 ? `${n / 1024} KiB` : `${n} B`);

function summarize(r: BenchReport, results: PhaseResult[], sizes: number[]): void {
  r.figures.phases = results;
  const find = (system: System, kind: string, size: number) => results.find((x) => x.system === system && x.phase === kind && x.sizeBytes === size);
  const bySize: Record<string, unknown> = {};
  for (const size of sizes) {
    const rd = find('relaydesk', 'peak', size);
    const ng = find('nginx', 'peak', size);
    const direct = find('direct', 'paced', size);
    const rdPaced = find('relaydesk', 'paced', size);
    const ngPaced = find('nginx', 'paced', size);
    const ratio = rd && ng && ng.megabytesPerSecond ? round(rd.megabytesPerSecond / ng.megabytesPerSecond, 2) : undefined;
    const cpuRatio = rd?.megabytesPerProxyCpuSecond && ng?.megabytesPerProxyCpuSecond ? round(rd.megabytesPerProxyCpuSecond / ng.megabytesPerProxyCpuSecond, 2) : undefined;
    const added = (x?: PhaseResult) => (x && direct ? round(x.latency.p99Ms - direct.latency.p99Ms, 3) : undefined);
    const addedP50 = (x?: PhaseResult) => (x && direct ? round(x.latency.p50Ms - direct.latency.p50Ms, 3) : undefined);
    bySize[size] = {
      relaydeskMBps: rd?.megabytesPerSecond,
      nginxMBps: ng?.megabytesPerSecond,
      ratio,
      efficiencyRatio: cpuRatio,
      pacedMessagesPerSecond: rdPaced?.messagesPerSecond,
      relaydeskAddedP99Ms: added(rdPaced),
      nginxAddedP99Ms: added(ngPaced),
      relaydeskAddedP50Ms: addedP50(rdPaced),
      nginxAddedP50Ms: addedP50(ngPaced),
    };
    const goalRatio = size >= 65536 ? 0.75 : size <= 1024 ? 0.5 : undefined;
    if (goalRatio !== undefined && ratio !== undefined) r.goals.push({ goal: `relaydesk ≥ ${goalRatio} × nginx MB/s at ${sizeLabel(size)}`, measured: `${ratio} (${rd!.megabytesPerSecond} vs ${ng!.megabytesPerSecond} MB/s)`, met: ratio >= goalRatio });
    const a = added(rdPaced);
    // A negative difference means the run's noise (other load on the machine) exceeds the hop's cost: no verdict.
    if (a !== undefined) r.goals.push({ goal: `p99 added latency < 1 ms at half of peak (${sizeLabel(size)})`, measured: `${a} ms (p99 ${rdPaced!.latency.p99Ms} vs direct ${direct!.latency.p99Ms} ms)`, met: a < 0 ? null : a < 1 });
  }
  r.figures.bySize = bySize;
  r.tables.push({
    title: 'Relay: same stream both ways, relaydesk vs nginx stream proxy (TLS both legs)',
    columns: ['size', 'system', 'phase', 'MB/s', 'msg/s', 'p50 ms', 'p99 ms', 'late', 'proxy CPU %', 'MB per CPU-s'],
    rows: results.map((x) => [sizeLabel(x.sizeBytes), x.system, x.phase, x.megabytesPerSecond, x.messagesPerSecond, x.latency.p50Ms, x.latency.p99Ms, x.late, x.proxyCpuPercent ?? '-', x.megabytesPerProxyCpuSecond ?? '-']),
  });
  r.tables.push({
    title: 'Side by side',
    columns: ['size', 'relaydesk MB/s', 'nginx MB/s', 'ratio', 'ratio per CPU-s', 'relaydesk added p50/p99 ms', 'nginx added p50/p99 ms'],
    rows: sizes.map((s) => {
      const b = bySize[s] as Record<string, number | undefined>;
      return [sizeLabel(s), b.relaydeskMBps ?? '-', b.nginxMBps ?? '-', b.ratio ?? '-', b.efficiencyRatio ?? '-', `${b.relaydeskAddedP50Ms ?? '-'} / ${b.relaydeskAddedP99Ms ?? '-'}`, `${b.nginxAddedP50Ms ?? '-'} / ${b.nginxAddedP99Ms ?? '-'}`];
    }),
  });
  r.notes.push('MB/s counts payload bytes delivered, both directions together. Added latency = p99 one-way latency through the hop minus p99 over a direct TLS connection at the same message rate.');
  const systems = [...new Set(results.map((x) => x.system))].filter((s) => s !== 'direct');
  r.charts.push({
    id: 'throughput',
    title: 'Peak relay throughput (MB/s, both directions)',
    kind: 'bars',
    yLabel: 'MB/s',
    groups: sizes.map(sizeLabel),
    series: systems.map((s) => ({ name: s, values: sizes.map((z) => find(s, 'peak', z)?.megabytesPerSecond ?? 0) })),
  });
  const big = sizes[sizes.length - 1]!;
  r.charts.push({
    id: 'latency',
    title: `One-way latency at half of peak, ${sizeLabel(big)} messages`,
    kind: 'histogram',
    xLabel: 'ms (log scale)',
    yLabel: '% of messages',
    series: (['relaydesk', 'nginx', 'direct'] as const).flatMap((s) => {
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
      const x = find(s, 'peak', big);
      return x ? [{ name: s, points: x.throughput }] : [];
    }),
  });
}
