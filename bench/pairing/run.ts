/**
 * `npm run bench -- pairing`: technicians create sessions, customers join with the PIN, technicians pick
 * up; the latency is from the customer's connect to both parties seeing "active". Per registry (memory,
 * Redis) two phases: a closed-loop peak (pairings/s) and an open-loop run at half that rate (p50/p99).
 * Beside the Redis figures, redis-benchmark measures the same Redis server's own ceiling in the same run.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { SessionConnection } from '../../clients/sdk/src/node.js';
import { startRedisServer, type RedisServer } from '../../gateway/test/redis-server.js';
import { common, commonOptions, ErrorTally, finish, type CommonValues } from '../lib/common.js';
import { cpuMs, residentBytes, startLocalGateway, type LocalGateway } from '../lib/gateway-child.js';
import { Histogram, round } from '../lib/histogram.js';
import { drive, Timeline, type DriveResult } from '../lib/load-profile.js';
import { parseOptions, usage, UsageError, type OptionDef } from '../lib/options.js';
import { Progress, RateMeter } from '../lib/progress.js';
import { newReport, type BenchReport } from '../lib/report.js';
import { commandCalls, commandsPer, monitorCommands } from '../lib/redis-commandstats.js';
import { SourceAddresses } from '../lib/source-addresses.js';
import { runHandshakes, startTlsServer } from '../tls/handshakes.js';
import { WaitingCrowd } from './waiting-crowd.js';
import { traceCommands, type TracedCommand } from './command-trace.js';
import { clientFor, parseLogins, parseTargets, type Credentials, type Target } from '../lib/targets.js';

export const options = {
  ...commonOptions,
  registry: { kind: 'list', default: ['memory', 'redis'], help: 'registries to run on a gateway this bench starts: memory, redis' },
  technicians: { kind: 'int', default: 8, min: 1, help: 'technician accounts (each logs in once and creates sessions)' },
  duration: { kind: 'number', default: 10, min: 0.1, help: 'seconds of the peak phase' },
  'half-duration': { kind: 'number', default: 5, min: 0, help: 'seconds of the phase at half the peak rate (0 = skip)' },
  rate: { kind: 'number', default: 0, min: 0, help: 'instead of peak + half: one open-loop phase at this many pairings/s' },
  'ramp-up': { kind: 'number', default: 0, min: 0, help: 'seconds to ramp an open-loop phase up to its rate' },
  count: { kind: 'int', default: 1_000_000, min: 1, help: 'most pairings per phase' },
  concurrency: { kind: 'int', default: 128, min: 1, help: 'most pairings in flight' },
  'gateway-cpu-prof': { kind: 'string', help: 'write a V8 CPU profile of the gateway under test into this folder' },
  waiting: { kind: 'list', default: [], help: 'how cost grows: levels of waiting customers (e.g. 1000,5000,18000) held while an open-loop phase runs at --load-rate' },
  'load-rate': { kind: 'number', default: 20, min: 0.1, help: 'pairings/s of the phases run beside --waiting customers' },
  'load-duration': { kind: 'number', default: 5, min: 0.1, help: 'seconds of each phase beside --waiting customers' },
  active: { kind: 'int', default: 0, min: 0, help: 'on Redis: hold this many paired sessions to measure Redis memory per active session (0 = skip)' },
  floor: { kind: 'flag', default: true, help: "beside each local gateway: a bare uWS.js TLS server doing each pairing's 2 handshakes (the customer's full, the technician's resumed as --technician-tls-resume says) for the pairings of the peak (--floor=false to skip)" },
  'baseline-dir': { kind: 'string', help: 'also run the gateway of this checkout (e.g. a git worktree of main) in the same run, for before/after' },
  'idle-sample': { kind: 'number', default: 2, min: 0, help: "seconds of the gateway's idle CPU measured before each phase, to report CPU per pairing net of it too (0 = skip)" },
  'side-by-side': { kind: 'flag', default: false, help: 'with --baseline-dir: load the baseline gateway and this one at the same time (same machine load for both), not one after the other' },
  'gateway-arg': { kind: 'list', default: [], help: 'extra flags for the gateways this bench starts, e.g. --gateway-arg=--tls-key-type=rsa-2048' },
  'monitor-pairings': { kind: 'int', default: 20, min: 0, help: 'on Redis: pairings run one by one under MONITOR to count commands sent vs run inside scripts (0 = skip)' },
  'technician-tls-resume': { kind: 'flag', default: true, help: "technicians' connections resume TLS sessions with their earlier connections' tickets, as a browser does (--technician-tls-resume=false: a full handshake each)" },
  'trace-commands': { kind: 'int', default: 0, min: 0, help: 'on Redis: run this many pairings one step at a time under MONITOR and print each step\'s commands (0 = skip)' },
  'redis-benchmark-requests': { kind: 'int', default: 200_000, min: 0, help: 'requests per redis-benchmark test (0 = skip)' },
} satisfies Record<string, OptionDef>;

export interface Values extends CommonValues {
  registry: string[];
  technicians: number;
  duration: number;
  halfDuration: number;
  rate: number;
  rampUp: number;
  count: number;
  concurrency: number;
  redisBenchmarkRequests: number;
  monitorPairings: number;
  traceCommands: number;
  technicianTlsResume: boolean;
  waiting: string[];
  loadRate: number;
  loadDuration: number;
  active: number;
  floor: boolean;
  baselineDir?: string;
  sideBySide: boolean;
  idleSample: number;
  gatewayArg: string[];
  gatewayCpuProf?: string;
}

export interface PhaseResult extends DriveResult {
  phase: string;
  pairingsPerSecond: number;
  latency: ReturnType<Histogram['summaryMs']>;
  errors: Record<string, number>;
  gatewayCpuPercent?: number;
  /** Pairings per CPU-second of the gateway process: its capacity per core, whatever limits the load generator. */
  pairingsPerGatewayCpuSecond?: number;
  generatorCpuPercent: number;
  /** TLS handshakes of the technicians' connections in the phase (each pairing opens one WebSocket for them). */
  technicianTls: { resumed: number; full: number };
  /** Gateway CPU-ms per pairing (CPU time of the gateway process over the phase / pairings). */
  gatewayCpuMsPerPairing?: number;
  /** The gateway's CPU-ms per second just before the phase, with nothing to do (--idle-sample). */
  gatewayIdleCpuMsPerSecond?: number;
  /** gatewayCpuMsPerPairing without that idle rate over the phase's duration. */
  gatewayCpuMsPerPairingNetOfIdle?: number;
  redisCommandsPerPairing?: number;
  /** Per command name (INFO commandstats), e.g. { evalsha: 6, get: 2 }. */
  redisCommandsByName?: Record<string, number>;
  /** From the MONITOR phase: commands clients sent per pairing (a script call counts once), and run inside scripts. */
  redisCommandsSentPerPairing?: number;
  redisCommandsInScriptsPerPairing?: number;
  redisCommandsSentByName?: Record<string, number>;
  /** --trace-commands: each step's commands, in order (all traced pairings one after another). */
  redisTrace?: TracedCommand[];
  /** Redis used_memory per paired session held open (--active). */
  redisBytesPerActiveSession?: number;
  /** Phases beside a crowd of waiting customers: how many were held, the gateway's RSS, Redis's used memory. */
  waitingHeld?: number;
  gatewayRssMiB?: number;
  redisUsedMemoryBytes?: number;
  /** Growth over the memory before the crowd, per waiting customer held. */
  gatewayKiBPerWaiting?: number;
  redisBytesPerWaiting?: number;
  histogram: Histogram;
  timeline: Timeline;
}

/**
 * The bare uWS.js TLS server doing the handshakes of the same pairings (2 WebSockets each): the customer's
 * full handshake, and the technician's, resumed with a ticket when the generator resumes (as a browser does).
 */
export interface Floor {
  handshakes: number;
  /** Of `handshakes`, how many the server resumed from a ticket. */
  resumed: number;
  failed: number;
  perSecond: number;
  cpuMsPerPairing?: number;
  pairingsPerCpuSecond?: number;
}

async function handshakeFloor(gw: LocalGateway, pairings: number, concurrency: number, technicianResumes: boolean): Promise<Floor> {
  const server = await startTlsServer('uws', gw.tls.certFile, gw.tls.keyFile);
  try {
    const count = Math.min(pairings, 3000);
    const base = { count, concurrency, ca: readFileSync(gw.tls.caFile, 'utf8'), servername: '127.0.0.1' };
    const customers = await runHandshakes(server.port, server.pid, { ...base, resume: false });
    const technicians = await runHandshakes(server.port, server.pid, { ...base, resume: technicianResumes });
    const perHandshake = [customers.serverCpuUsPerHandshake, technicians.serverCpuUsPerHandshake];
    const cpuMsPerPairing = perHandshake.includes(undefined) ? undefined : round((perHandshake[0]! + perHandshake[1]!) / 1000, 2);
    const seconds = customers.handshakes / customers.perSecond + technicians.handshakes / technicians.perSecond;
    return {
      handshakes: customers.handshakes + technicians.handshakes,
      resumed: customers.resumed + technicians.resumed,
      failed: customers.failed + technicians.failed,
      perSecond: round((customers.handshakes + technicians.handshakes) / seconds, 0),
      cpuMsPerPairing,
      pairingsPerCpuSecond: cpuMsPerPairing ? round(1000 / cpuMsPerPairing, 0) : undefined,
    };
  } finally {
    await server.stop();
  }
}

export async function run(argv: string[]): Promise<void> {
  const parsed = parseOptions('pairing', options, argv);
  if (parsed.help) return void process.stdout.write(usage('pairing', options) + '\n');
  const o = common(parsed) as Values;
  for (const r of o.registry) if (r !== 'memory' && r !== 'redis') throw new UsageError(`--registry ${r}: expected memory or redis`);
  const report = newReport('pairing', argv, { ...o });
  const backends: Record<string, unknown> = {};
  report.figures.backends = backends;
  const rows: (string | number)[][] = [];
  const floors: Record<string, Floor> = {};

  const record = (label: string, phases: PhaseResult[]) => {
    backends[label] = phases.map(({ histogram, timeline, ...rest }) => ({ ...rest, throughput: timeline.perSecond(), latencyBins: histogram.bins(40) }));
    for (const p of phases) {
      rows.push([label, p.phase, p.completed, p.failed, round(p.pairingsPerSecond, 0), p.latency.p50Ms, p.latency.p99Ms, p.latency.maxMs, p.gatewayCpuPercent ?? '-', p.pairingsPerGatewayCpuSecond ?? '-', p.gatewayCpuMsPerPairing ?? '-', p.gatewayCpuMsPerPairingNetOfIdle ?? '-', p.redisCommandsPerPairing ?? '-', p.redisCommandsSentPerPairing ?? '-']);
    }
  };

  if (o.target.length) {
    const targets = parseTargets(o.target, o.ca);
    const logins = parseLogins(o.login);
    if (!logins.length) throw new UsageError('--target needs --login user:password (a technician of that deployment)');
    record('target', await runPhases('target', targets, logins, o));
  } else {
    const variants: { suffix: string; cwd?: string }[] = o.baselineDir ? [{ suffix: ' (baseline)', cwd: resolve(o.baselineDir) }, { suffix: '' }] : [{ suffix: '' }];
    /** One variant on one registry: its own redis-server and gateway, started and stopped together. */
    const setUp = async (registry: string, variant: { suffix: string; cwd?: string }) => {
      const redis = registry === 'redis' ? await startRedisServer() : undefined;
      try {
        const gw = await startLocalGateway({
          technicians: o.technicians,
          cwd: variant.cwd,
          nodeArgs: o.gatewayCpuProf ? ['--cpu-prof', '--cpu-prof-interval', '250', '--cpu-prof-dir', o.gatewayCpuProf] : [],
          args: [...(redis ? ['--registry', 'redis', '--redis-url', redis.url, '--account-store', 'file'] : []), ...o.gatewayArg],
        });
        return { label: registry + variant.suffix, variant, redis, gw, stop: async () => (await gw.stop(), await redis?.stop()) };
      } catch (err) {
        await redis?.stop();
        throw err;
      }
    };
    type Running = Awaited<ReturnType<typeof setUp>>;
    const finishUp = async (r: Running, phases: PhaseResult[]) => {
      record(r.label, phases);
      if (o.floor && phases[0]?.completed) {
        const floor = await handshakeFloor(r.gw, phases[0].completed, o.concurrency, o.technicianTlsResume);
        floors[r.label] = floor;
        rows.push([`${r.label}: uWS TLS floor`, `${floor.handshakes} handshakes (${floor.resumed} resumed)`, floor.handshakes / 2, floor.failed, round(floor.perSecond / 2, 0), '-', '-', '-', '-', floor.pairingsPerCpuSecond ?? '-', floor.cpuMsPerPairing ?? '-', '-', '-', '-']);
      }
      if (r.redis && o.redisBenchmarkRequests > 0 && !r.variant.suffix) {
        const ceiling = await redisBenchmark(r.redis.port, o.redisBenchmarkRequests);
        report.figures.redisBenchmark = ceiling;
        for (const [test, rps] of Object.entries(ceiling)) rows.push(['redis-benchmark', test, o.redisBenchmarkRequests, 0, round(rps, 0), '-', '-', '-', '-', '-', '-', '-', '-', '-']);
      }
    };
    for (const registry of o.registry) {
      if (o.sideBySide && variants.length > 1) {
        // Baseline and this checkout under load at the same time, each with its own generator loop: on a shared
        // machine both get the same neighbours, so their CPU per pairing compares fairly. Floors come after.
        const running: Running[] = [];
        try {
          for (const variant of variants) running.push(await setUp(registry, variant));
          const results = await Promise.all(running.map((r) => runPhases(r.label, [r.gw.target], r.gw.technicians, o, r.gw.pid, r.redis)));
          for (const [i, r] of running.entries()) await finishUp(r, results[i]!);
        } finally {
          for (const r of running) await r.stop();
        }
        continue;
      }
      for (const variant of variants) {
        const r = await setUp(registry, variant);
        try {
          await finishUp(r, await runPhases(r.label, [r.gw.target], r.gw.technicians, o, r.gw.pid, r.redis));
        } finally {
          await r.stop();
        }
      }
    }
  }
  report.figures.floors = floors;

  const tlsRows = Object.entries(backends as Record<string, Pick<PhaseResult, 'phase' | 'technicianTls'>[]>).flatMap(([label, phases]) => phases.map((p) => [label, p.phase, p.technicianTls.resumed, p.technicianTls.full]));
  report.tables.push({
    title: 'Pairing: customer connect → both parties "active"',
    columns: ['backend', 'phase', 'pairings', 'errors', 'per second', 'p50 ms', 'p99 ms', 'max ms', 'gateway CPU %', 'per gateway CPU-s', 'gateway CPU ms/pairing', 'net of idle', 'redis cmds run/pairing', 'redis cmds sent/pairing'],
    rows,
  });
  report.tables.push({ title: "Technicians' TLS handshakes (API connection and pickup WebSockets): resumed with a ticket vs full", columns: ['backend', 'phase', 'resumed', 'full'], rows: tlsRows });
  const growth = Object.entries(backends as Record<string, (Omit<PhaseResult, 'histogram' | 'timeline'>)[]>).flatMap(([label, phases]) =>
    phases.filter((p) => p.waitingHeld !== undefined).map((p) => [label, p.waitingHeld!, p.completed, p.failed, p.latency.p50Ms, p.latency.p99Ms, p.gatewayCpuMsPerPairing ?? '-', p.gatewayRssMiB ?? '-', p.gatewayKiBPerWaiting ?? '-', p.redisUsedMemoryBytes === undefined ? '-' : round(p.redisUsedMemoryBytes / 2 ** 20, 1), p.redisBytesPerWaiting ?? '-']),
  );
  if (growth.length) {
    report.tables.push({
      title: `How cost grows: pairing at ${o.loadRate}/s beside waiting customers`,
      columns: ['backend', 'waiting', 'pairings', 'errors', 'p50 ms', 'p99 ms', 'gateway CPU ms/pairing', 'gateway RSS MiB', 'gateway KiB/waiting', 'Redis used MiB', 'Redis bytes/waiting'],
      rows: growth,
    });
  }
  const active = Object.entries(backends as Record<string, { redisBytesPerActiveSession?: number }[]>).filter(([, ph]) => ph[0]?.redisBytesPerActiveSession !== undefined);
  if (active.length) report.tables.push({ title: `Redis memory per active (paired) session, ${o.active} held`, columns: ['backend', 'bytes/session'], rows: active.map(([l, ph]) => [l, ph[0]!.redisBytesPerActiveSession!]) });
  for (const [label, phases] of Object.entries(backends as Record<string, { redisTrace?: TracedCommand[] }[]>)) {
    const trace = phases[0]?.redisTrace;
    if (!trace) continue;
    const pairings = o.traceCommands;
    const sent = trace.filter((c) => !c.inScript).length;
    report.tables.push({
      title: `Redis commands of ${pairings} pairing(s) one step at a time (${label}): ${round(sent / pairings, 1)} sent, ${round((trace.length - sent) / pairings, 1)} more inside scripts, per pairing`,
      columns: ['step', 'command', 'keys'],
      rows: trace.map((c) => [c.step, c.command, c.keys]),
    });
  }
  addGoals(report);
  addCharts(report);
  finish(report, o);
}

export async function runPhases(label: string, targets: Target[], logins: Credentials[], o: Values, gatewayPid?: number, redis?: RedisServer): Promise<PhaseResult[]> {
  const sources = new SourceAddresses(targets[0]!.host, o.sourceAddresses);
  const technicians = await Promise.all(
    logins.map(async (cred, i) => {
      // A technician is one browser: its WebSockets resume the TLS session of its API connection.
      const c = clientFor(targets[i % targets.length]!, sources.take(), 10_000, o.technicianTlsResume);
      await c.client.login(cred.username, cred.password);
      return c;
    }),
  );
  // Customers never call the API; one client per (target, source address) spreads their sockets.
  const customers = sources.list.flatMap((addr) => targets.map((t) => clientFor(t, addr)));
  /** TLS handshakes of the technicians' connections so far: resumed (tickets) and full. */
  const technicianHandshakes = () => {
    let resumed = 0;
    let full = 0;
    for (const t of technicians) (resumed += t.tickets?.resumed ?? 0), (full += t.tickets?.full ?? 0);
    return { resumed, full };
  };
  let next = 0;
  const redisClient = redis ? new Redis(redis.port, redis.host, { lazyConnect: true }) : undefined;
  await redisClient?.connect();
  /** One pairing; resolves with ms from the customer's connect to "active". */
  const pair = async (i: number): Promise<number> => {
    const tech = technicians[i % technicians.length]!.client;
    const session = await tech.createSession();
    const customer = customers[next++ % customers.length]!.client;
    const t0 = performance.now();
    let cust: SessionConnection | undefined;
    let techConn: SessionConnection | undefined;
    try {
      cust = await customer.joinSession({ pin: session.pin }, `customer ${i}`);
      techConn = await tech.pickUp(session.guid);
      await cust.waitFor('active', 10_000);
      const ms = performance.now() - t0;
      techConn.end();
      return ms;
    } finally {
      cust?.close();
      techConn?.close();
    }
  };
  /** Holds `n` paired sessions open and returns Redis used_memory per session they added. */
  const activeSessionMemory = async (redis: Redis, n: number): Promise<number | undefined> => {
    const held: SessionConnection[] = [];
    const before = await usedMemory(redis);
    let paired = 0;
    try {
      for (let i = 0; i < n; i += 16) {
        // A pairing that fails (a loaded machine) is left out of the count, not the end of the run.
        await Promise.allSettled(Array.from({ length: Math.min(16, n - i) }, async (_, k) => {
          const tech = technicians[(i + k) % technicians.length]!.client;
          const session = await tech.createSession();
          const cust = await customers[next++ % customers.length]!.client.joinSession({ pin: session.pin }, `active ${i + k}`);
          held.push(cust);
          held.push(await tech.pickUp(session.guid));
          await cust.waitFor('active', 10_000);
          paired++;
        }));
      }
      await new Promise((r) => setTimeout(r, 300)); // the resume-token writes follow pairing
      return paired ? round(((await usedMemory(redis)) - before) / paired, 0) : undefined;
    } finally {
      for (const c of held) c.close();
    }
  };
  try {
    const phase = async (name: string, profile: { rate: number; durationSeconds: number; rampUpSeconds: number }): Promise<PhaseResult> => {
      const histogram = new Histogram();
      const timeline = new Timeline(250);
      const errors = new ErrorTally();
      const meter = new RateMeter();
      const pairOnce = (i: number) =>
        pair(i).then(
          (ms) => {
            histogram.record(ms * 1000);
            timeline.mark();
            meter.mark();
          },
          (err: unknown) => {
            timeline.mark(1, true);
            throw err;
          },
        );
      const progress = new Progress(`pairing[${label}] ${name}`, () => {
        const s = histogram.summaryMs();
        return `rate ${Math.round(meter.perSecond()).toLocaleString('en-US')}/s  done ${s.count.toLocaleString('en-US')}  errors ${errors.total}  p99 ${s.p99Ms} ms`;
      }, { quiet: o.quiet }).start();
      // The gateway's CPU while nothing happens (timers, heartbeats), so a slow phase on a crowded machine can be
      // read net of it: at 20 pairings/s a few ms/s of idle work is a large part of each pairing's figure.
      let idleCpuMsPerSecond: number | undefined;
      if (gatewayPid && o.idleSample > 0) {
        const idle0 = cpuMs(gatewayPid);
        await new Promise((r) => setTimeout(r, o.idleSample * 1000));
        const idle1 = cpuMs(gatewayPid);
        if (idle0 !== undefined && idle1 !== undefined) idleCpuMsPerSecond = round((idle1 - idle0) / o.idleSample, 1);
      }
      const cpu0 = gatewayPid ? cpuMs(gatewayPid) : undefined;
      const self0 = process.cpuUsage();
      const tls0 = technicianHandshakes();
      const cmds0 = redisClient ? await commandCalls(redisClient) : {};
      const result = await drive(
        { rate: profile.rate, rampUpSeconds: profile.rampUpSeconds, durationSeconds: profile.durationSeconds, count: o.count, concurrency: o.concurrency },
        pairOnce,
        (e) => errors.add(e),
      );
      progress.stop();
      const cpu1 = gatewayPid ? cpuMs(gatewayPid) : undefined;
      const self1 = process.cpuUsage(self0);
      const tls1 = technicianHandshakes();
      const cmds1 = redisClient ? await commandCalls(redisClient) : {};
      const perPairing = redisClient && result.completed ? commandsPer(cmds0, cmds1, result.completed) : undefined;
      return {
        phase: name,
        ...result,
        pairingsPerSecond: result.completed / (result.elapsedMs / 1000),
        latency: histogram.summaryMs(),
        errors: errors.toJSON(),
        gatewayCpuPercent: cpu0 !== undefined && cpu1 !== undefined ? round((100 * (cpu1 - cpu0)) / result.elapsedMs, 0) : undefined,
        pairingsPerGatewayCpuSecond: cpu0 !== undefined && cpu1 !== undefined && cpu1 > cpu0 ? round(result.completed / ((cpu1 - cpu0) / 1000), 0) : undefined,
        generatorCpuPercent: round((100 * (self1.user + self1.system)) / 1000 / result.elapsedMs, 0),
        technicianTls: { resumed: tls1.resumed - tls0.resumed, full: tls1.full - tls0.full },
        gatewayCpuMsPerPairing: cpu0 !== undefined && cpu1 !== undefined && result.completed ? round((cpu1 - cpu0) / result.completed, 2) : undefined,
        gatewayIdleCpuMsPerSecond: idleCpuMsPerSecond,
        gatewayCpuMsPerPairingNetOfIdle:
          cpu0 !== undefined && cpu1 !== undefined && result.completed && idleCpuMsPerSecond !== undefined
            ? round((cpu1 - cpu0 - (idleCpuMsPerSecond * result.elapsedMs) / 1000) / result.completed, 2)
            : undefined,
        // Includes the createSession API calls' commands, which a pairing needs; failed pairings' commands too.
        redisCommandsPerPairing: perPairing?.total,
        redisCommandsByName: perPairing?.byCommand,
        histogram,
        timeline,
      };
    };
    // First, on an empty Redis: finished sessions of a phase linger 60 s and expire during a later measurement,
    // and a crowd's teardown (thousands of waiting → created) would skew it too.
    const activeBytes = redisClient && o.active > 0 ? await activeSessionMemory(redisClient, o.active) : undefined;
    const phases: PhaseResult[] = [];
    if (o.rate > 0) phases.push(await phase(`${o.rate}/s`, { rate: o.rate, durationSeconds: o.duration, rampUpSeconds: o.rampUp }));
    else {
      const peak = await phase('peak', { rate: 0, durationSeconds: o.duration, rampUpSeconds: 0 });
      phases.push(peak);
      if (o.halfDuration > 0 && peak.pairingsPerSecond > 0) {
        const halfRate = Math.max(1, Math.round(peak.pairingsPerSecond / 2));
        phases.push(await phase(`half (${halfRate}/s)`, { rate: halfRate, durationSeconds: o.halfDuration, rampUpSeconds: o.rampUp }));
      }
    }
    if (activeBytes !== undefined && phases[0]) phases[0].redisBytesPerActiveSession = activeBytes;
    if (o.waiting.length) {
      const crowd = new WaitingCrowd(targets[0]!, logins);
      // Before the crowd: what each level's memory is compared with.
      const baseRss = gatewayPid ? (residentBytes(gatewayPid) ?? 0) / 2 ** 20 : undefined;
      const baseUsed = redisClient ? await usedMemory(redisClient) : undefined;
      try {
        for (const level of o.waiting.map(Number).sort((a, b) => a - b)) {
          if (!Number.isInteger(level) || level < 0) throw new UsageError(`--waiting ${level}: expected whole numbers`);
          const held = await crowd.growTo(level, 1000, 120);
          const p = await phase(`${held} waiting, ${o.loadRate}/s`, { rate: o.loadRate, durationSeconds: o.loadDuration, rampUpSeconds: 0 });
          p.waitingHeld = held;
          if (gatewayPid) p.gatewayRssMiB = round((residentBytes(gatewayPid) ?? 0) / 2 ** 20, 1);
          if (redisClient) p.redisUsedMemoryBytes = await usedMemory(redisClient);
          if (held > 0 && baseRss !== undefined && p.gatewayRssMiB !== undefined) p.gatewayKiBPerWaiting = round(((p.gatewayRssMiB - baseRss) * 1024) / held, 2);
          if (held > 0 && baseUsed !== undefined && p.redisUsedMemoryBytes !== undefined) p.redisBytesPerWaiting = round((p.redisUsedMemoryBytes - baseUsed) / held, 0);
          phases.push(p);
        }
      } finally {
        await crowd.stop();
      }
    }
    if (redisClient && o.monitorPairings > 0 && phases[0]) {
      // Pairings one at a time under MONITOR: commands clients send (a script call is one) vs run inside scripts.
      const seen = await monitorCommands(redisClient, async () => {
        let done = 0;
        for (let i = 0; i < o.monitorPairings; i++) await pair(i).then(() => done++, () => {});
        return done;
      });
      const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
      phases[0].redisCommandsSentPerPairing = round(sum(seen.sent) / Math.max(1, seen.units), 1);
      phases[0].redisCommandsInScriptsPerPairing = round(sum(seen.inScripts) / Math.max(1, seen.units), 1);
      phases[0].redisCommandsSentByName = Object.fromEntries(Object.entries(seen.sent).map(([k, v]) => [k, round(v / Math.max(1, seen.units), 2)]));
    }
    if (redisClient && o.traceCommands > 0 && phases[0]) {
      const trace: TracedCommand[] = [];
      for (let i = 0; i < o.traceCommands; i++) {
        const tech = technicians[i % technicians.length]!.client;
        const customer = customers[i % customers.length]!.client;
        let session: Awaited<ReturnType<typeof tech.createSession>> | undefined;
        let cust: SessionConnection | undefined;
        let techConn: SessionConnection | undefined;
        try {
          trace.push(...(await traceCommands(redisClient, [
            { step: 'create', run: async () => (session = await tech.createSession()) },
            { step: 'join', run: async () => (cust = await customer.joinSession({ pin: session!.pin }, `traced ${i}`)) },
            { step: 'pickup', run: async () => ((techConn = await tech.pickUp(session!.guid)), await cust!.waitFor('active', 10_000)) },
            { step: 'end', run: async () => (techConn!.end(), await cust!.waitFor('closed', 10_000)) },
          ])));
        } finally {
          cust?.close();
          techConn?.close();
        }
      }
      phases[0].redisTrace = trace;
    }
    return phases;
  } finally {
    redisClient?.disconnect();
    for (const c of [...technicians, ...customers]) c.close();
  }
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
}

/** redis-benchmark against the same server: its own ceiling for plain commands, 50 clients, no pipelining. */
function redisBenchmark(port: number, requests: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-n', String(requests), '-c', '50', '-t', 'set,get,incr,lpush,hset', '--csv'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', (e) => reject(new Error(`redis-benchmark: ${e.message} (apt-get install redis-tools)`)));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`redis-benchmark exited ${code}: ${err}`));
      const result: Record<string, number> = {};
      for (const line of out.split('\n')) {
        const m = /^"([^"]+)","([\d.]+)"/.exec(line);
        if (m) result[m[1]!] = Number(m[2]);
      }
      resolve(result);
    });
  });
}

function addGoals(r: BenchReport): void {
  const b = r.figures.backends as Record<string, { phase: string; pairingsPerSecond: number; latency: { p99Ms: number } }[]>;
  const goal = (backend: string, min: number) => {
    const phases = b[backend];
    if (!phases) return;
    const peak = phases.find((p) => p.phase === 'peak');
    const half = phases.find((p) => p.phase.startsWith('half'));
    if (peak) r.goals.push({ goal: `≥ ${min.toLocaleString('en-US')} pairings/s (${backend})`, measured: `${Math.round(peak.pairingsPerSecond).toLocaleString('en-US')}/s`, met: peak.pairingsPerSecond >= min });
    if (half) r.goals.push({ goal: `p99 ≤ 20 ms at half rate (${backend})`, measured: `${half.latency.p99Ms} ms`, met: half.latency.p99Ms <= 20 });
  };
  goal('memory', 5000);
  goal('redis', 3000);
}

function addCharts(r: BenchReport): void {
  type Stored = Omit<PhaseResult, 'histogram' | 'timeline'> & { throughput: [number, number][]; latencyBins: ReturnType<Histogram['bins']> };
  const b = r.figures.backends as Record<string, Stored[]>;
  r.charts.push({
    id: 'latency',
    title: 'Pairing latency at half of peak rate',
    kind: 'histogram',
    xLabel: 'customer connect → paired (ms, log scale)',
    yLabel: '% of pairings',
    series: Object.entries(b).map(([name, phases]) => ({ name, bins: (phases.find((p) => p.phase !== 'peak') ?? phases[0]!).latencyBins })),
  });
  r.charts.push({
    id: 'throughput',
    title: 'Pairings per second over time (peak phase)',
    kind: 'line',
    xLabel: 'seconds',
    yLabel: 'pairings/s',
    series: Object.entries(b).map(([name, phases]) => ({ name, points: phases[0]!.throughput })),
  });
}
