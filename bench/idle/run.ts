/**
 * `npm run bench -- idle`: how many waiting customers (TLS WebSockets, joined with a PIN, idle) one gateway
 * holds, and its resident memory (VmRSS of the gateway process) on the way up. Customers are opened by
 * worker processes (each with a raised open-file limit and its own /16 of 127.0.0.0/8 source addresses),
 * at `--rate` joins per second, held for `--hold` seconds, and checked still connected at the end.
 */
import type { ChildProcess } from 'node:child_process';
import { common, commonOptions, finish, type CommonValues } from '../lib/common.js';
import { NOFILE, openFileLimit, residentBytes, spawnWithFdLimit, startLocalGateway, type LocalGateway } from '../lib/gateway-child.js';
import { Histogram, round } from '../lib/histogram.js';
import { parseOptions, usage, UsageError, type OptionDef } from '../lib/options.js';
import { Progress } from '../lib/progress.js';
import { newReport } from '../lib/report.js';
import { parseLogins, parseTargets, type Credentials, type Target } from '../lib/targets.js';
import type { WorkerReport, WorkerStart } from './worker.js';

const options = {
  ...commonOptions,
  customers: { kind: 'int', default: 5000, min: 1, help: 'waiting customers to open (the goal is 50000)' },
  rate: { kind: 'number', default: 2000, min: 1, help: 'joins per second, all workers together' },
  concurrency: { kind: 'int', default: 256, min: 1, help: 'joins in flight per worker' },
  'per-worker': { kind: 'int', default: 15000, min: 1, help: 'most connections one load-generator process holds' },
  hold: { kind: 'number', default: 5, min: 0, help: 'seconds to hold every connection once all are open' },
  timeout: { kind: 'number', default: 300, min: 1, help: 'give up opening connections after this many seconds' },
  'gateway-pid': { kind: 'int', min: 1, help: 'with --target on this machine: the gateway pid whose RSS to read' },
} satisfies Record<string, OptionDef>;

interface Values extends CommonValues {
  customers: number;
  rate: number;
  concurrency: number;
  perWorker: number;
  hold: number;
  timeout: number;
  gatewayPid?: number;
}

interface WorkerState {
  child: ChildProcess;
  held: number;
  failed: number;
  dropped: number;
  joined?: Extract<WorkerReport, { type: 'joined' }>;
  exited: Promise<void>;
}

export async function run(argv: string[]): Promise<void> {
  const parsed = parseOptions('idle', options, argv);
  if (parsed.help) return void process.stdout.write(usage('idle', options) + '\n');
  const o = common(parsed) as Values;
  const report = newReport('idle', argv, { ...o });
  const nWorkers = Math.ceil(o.customers / o.perWorker);
  let gw: LocalGateway | undefined;
  const workers: WorkerState[] = [];
  const memory: [number, number, number][] = []; // [seconds, held, RSS MiB]
  try {
    let target: Target;
    let logins: Credentials[];
    let pid: number | undefined;
    if (o.target.length) {
      target = parseTargets(o.target, o.ca)[0]!;
      logins = parseLogins(o.login);
      if (!logins.length) throw new UsageError('--target needs --login user:password');
      pid = o.gatewayPid;
    } else {
      gw = await startLocalGateway({ technicians: nWorkers });
      target = gw.target;
      logins = gw.technicians;
      pid = gw.pid;
    }
    const rss = () => (pid ? residentBytes(pid) : undefined);
    const fdLimit = pid ? openFileLimit(pid) : undefined;
    if (fdLimit !== undefined && fdLimit < o.customers + 100) {
      // Without CAP_SYS_RESOURCE (e.g. in a container) the hard limit cannot be raised from inside.
      const note = `the gateway's open-file limit is ${fdLimit} (asked ${NOFILE}; raise the hard limit, e.g. \`ulimit -Hn ${NOFILE}\` as root or LimitNOFILE= in systemd, docker --ulimit nofile=${NOFILE}): it cannot hold more than ~${fdLimit - 40} connections`;
      report.notes.push(note);
      if (!o.quiet) process.stderr.write(`idle: ${note}\n`);
    }
    await new Promise((r) => setTimeout(r, 500)); // let start-up garbage settle before the baseline
    const baseline = rss();
    const t0 = performance.now();
    const held = () => workers.reduce((a, w) => a + w.held, 0);
    const sample = () => {
      const r = rss();
      if (r !== undefined) memory.push([round((performance.now() - t0) / 1000, 2), held(), round(r / 2 ** 20, 1)]);
    };
    const sampler = setInterval(sample, 500);
    const progress = new Progress('idle', () => {
      const r = rss();
      return `held ${held().toLocaleString('en-US')}/${o.customers.toLocaleString('en-US')}  failed ${workers.reduce((a, w) => a + w.failed, 0)}  dropped ${workers.reduce((a, w) => a + w.dropped, 0)}${r ? `  gateway RSS ${(r / 2 ** 20).toFixed(0)} MiB` : ''}`;
    }, { quiet: o.quiet }).start();
    try {
      for (let i = 0; i < nWorkers; i++) {
        const count = Math.min(o.perWorker, o.customers - i * o.perWorker);
        const child = spawnWithFdLimit([process.execPath, '--import', 'tsx', 'bench/idle/worker.ts'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        const w: WorkerState = { child, held: 0, failed: 0, dropped: 0, exited: new Promise((r) => child.once('exit', () => r())) };
        workers.push(w);
        child.on('message', (m: WorkerReport) => {
          if (m.type === 'fatal') {
            process.stderr.write(`idle worker ${i}: ${m.message}\n`);
            w.failed = count;
            w.joined = { type: 'joined', held: 0, failed: count, dropped: 0, errors: { fatal: 1 }, latency: new Histogram().toJSON() };
            return;
          }
          w.held = m.held;
          w.failed = m.failed;
          w.dropped = m.dropped;
          if (m.type === 'joined') w.joined = m;
        });
        const start: WorkerStart = {
          type: 'start', target, login: logins[i % logins.length]!, count, rate: (o.rate * count) / o.customers, concurrency: o.concurrency,
          sourceOffset: 10 + i, sourceCount: o.sourceAddresses, timeoutSeconds: o.timeout,
        };
        child.send(start);
      }
      const deadline = performance.now() + (o.timeout + 60) * 1000;
      while (workers.some((w) => !w.joined) && performance.now() < deadline) {
        if (workers.some((w) => w.child.exitCode !== null && !w.joined)) throw new Error('an idle worker exited early');
        await new Promise((r) => setTimeout(r, 100));
      }
      // Until the last successful join (not the time spent on attempts that never completed).
      const most = Math.max(0, ...memory.map((m) => m[1]));
      const openSeconds = memory.find((m) => m[1] === most)?.[0] ?? (performance.now() - t0) / 1000;
      const afterOpen = rss();
      await new Promise((r) => setTimeout(r, o.hold * 1000));
      sample();
      const afterHold = rss();
      const heldAtEnd = held();
      progress.stop();
      const latency = new Histogram();
      const errors: Record<string, number> = {};
      for (const w of workers) {
        if (w.joined) latency.merge(Histogram.from(w.joined.latency));
        for (const [k, v] of Object.entries(w.joined?.errors ?? {})) errors[k] = (errors[k] ?? 0) + v;
      }
      const opened = workers.reduce((a, w) => a + (w.joined?.held ?? 0) + (w.joined?.dropped ?? 0), 0);
      const mib = (b?: number) => (b === undefined ? undefined : round(b / 2 ** 20, 1));
      const perConn = afterHold !== undefined && baseline !== undefined && heldAtEnd ? round((afterHold - baseline) / heldAtEnd / 1024, 2) : undefined;
      report.figures = {
        customersAsked: o.customers,
        opened,
        heldAtEnd,
        failed: workers.reduce((a, w) => a + w.failed, 0),
        dropped: workers.reduce((a, w) => a + w.dropped, 0),
        openSeconds: round(openSeconds, 2),
        joinsPerSecond: round(opened / openSeconds, 0),
        gatewayRssBaselineMiB: mib(baseline),
        gatewayRssAfterOpenMiB: mib(afterOpen),
        gatewayRssAfterHoldMiB: mib(afterHold),
        gatewayKiBPerConnection: perConn,
        loadGeneratorProcesses: nWorkers,
        gatewayOpenFileLimit: fdLimit,
        openFileLimitAsked: NOFILE,
        joinLatency: latency.summaryMs(),
        errors,
        memory: memory.map(([t, h, m]) => ({ seconds: t, held: h, rssMiB: m })),
      };
      report.tables.push({
        title: 'Idle: waiting customers held by one gateway',
        columns: ['customers', 'held at end', 'failed', 'dropped', 'open s', 'joins/s', 'RSS before MiB', 'RSS held MiB', 'KiB per connection', 'join p99 ms'],
        rows: [[o.customers, heldAtEnd, report.figures.failed as number, report.figures.dropped as number, round(openSeconds, 1), report.figures.joinsPerSecond as number, mib(baseline) ?? '-', mib(afterHold) ?? '-', perConn ?? '-', latency.summaryMs().p99Ms]],
      });
      if (afterHold !== undefined) {
        // The goal's own count; a smaller run projects it from the per-connection cost and says so.
        const at50k = baseline! + (((afterHold - baseline!) / Math.max(1, heldAtEnd)) * 50_000);
        report.goals.push({
          goal: '50,000 TLS connections in ≤ 1 GiB gateway RSS',
          // A projection from a few hundred connections would be mostly noise; none below 1,000.
          measured: heldAtEnd >= 50_000 || heldAtEnd < 1000 ? `${heldAtEnd.toLocaleString('en-US')} held, ${mib(afterHold)} MiB` : `${heldAtEnd.toLocaleString('en-US')} held, ${mib(afterHold)} MiB (projected at 50k: ${mib(at50k)} MiB)`,
          met: heldAtEnd >= 50_000 ? afterHold <= 2 ** 30 : null,
        });
      }
      report.charts.push({ id: 'memory', title: 'Gateway resident memory vs waiting customers', kind: 'line', xLabel: 'seconds', yLabel: 'RSS MiB / thousands held', series: [
        { name: 'gateway RSS (MiB)', points: memory.map(([t, , m]) => [t, m]) },
        { name: 'customers held (thousands)', points: memory.map(([t, h]) => [t, h / 1000]) },
      ] });
      report.charts.push({ id: 'join-latency', title: 'Customer join latency (connect → "waiting")', kind: 'histogram', xLabel: 'ms (log scale)', yLabel: '% of joins', series: [{ name: 'join', bins: latency.bins(40) }] });
    } finally {
      clearInterval(sampler);
      progress.stop();
    }
  } finally {
    for (const w of workers) if (w.child.connected) w.child.send({ type: 'stop' });
    await Promise.race([Promise.all(workers.map((w) => w.exited)), new Promise((r) => setTimeout(r, 15_000))]);
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await gw?.stop();
  }
  finish(report, o);
}
