/**
 * `npm run bench -- cluster`: the pairing scenario against 1, 2 and 3 gateway processes sharing one
 * redis-server (technicians and customers spread over the gateways, so most pairings cross a gateway
 * link), then the recovery time after a gateway is killed: sessions whose parties all sit on one gateway,
 * SIGKILL, and the time until both parties of each session have resumed on another gateway (p50/p99).
 */
import type { SessionConnection } from '../../clients/sdk/src/node.js';
import { startClusterFixture } from '../../gateway/test/cluster/cluster-fixture.js';
import { common, finish } from '../lib/common.js';
import { Histogram, round } from '../lib/histogram.js';
import { parseOptions, usage, UsageError, type OptionDef } from '../lib/options.js';
import { newReport } from '../lib/report.js';
import type { Credentials, Target } from '../lib/targets.js';
import { options as pairingOptions, runPhases, type Values as PairingValues } from '../pairing/run.js';

const options = {
  ...pairingOptions,
  gateways: { kind: 'list', default: ['1', '2', '3'], help: 'cluster sizes to measure pairing on' },
  'recovery-sessions': { kind: 'int', default: 50, min: 0, help: 'sessions on the gateway that gets killed (0 = skip the recovery test)' },
} satisfies Record<string, OptionDef>;

interface Values extends PairingValues {
  gateways: string[];
  recoverySessions: number;
}

/** Rate limits that would throttle a load test from one machine are lifted, as in the pairing scenario. */
const benchArgs = ['--login-attempts-per-address', '100000', '--pin-guesses-per-address', '100000', '--pin-guesses-global', '10000000', '--max-failed-logins', '100', '--shutdown-grace-seconds', '0'];

export async function run(argv: string[]): Promise<void> {
  const parsed = parseOptions('cluster', options, argv);
  if (parsed.help) return void process.stdout.write(usage('cluster', options) + '\n');
  const o = common(parsed) as Values;
  if (o.target.length) throw new UsageError('the cluster scenario starts its own gateways; for a deployment use: npm run bench -- pairing --target URL --target URL …');
  const sizes = o.gateways.map((g) => Number(g));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 8)) throw new UsageError('--gateways takes whole numbers from 1 to 8');
  const report = newReport('cluster', argv, { ...o });
  const rows: (string | number)[][] = [];
  const scaling: Record<string, unknown> = {};
  report.figures.scaling = scaling;

  for (const n of sizes) {
    const cluster = await startClusterFixture();
    try {
      const gateways = [];
      for (let i = 0; i < n; i++) gateways.push(await cluster.start(`gw-${n}-${i}`, benchArgs));
      const targets: Target[] = gateways.map((g) => ({ baseUrl: cluster.url(g), host: '127.0.0.1', port: g.port, ca: cluster.caPem }));
      const logins: Credentials[] = [];
      for (let i = 0; i < o.technicians; i++) logins.push({ username: `bench${i}`, password: await cluster.addTechnician(`bench${i}`, 'bench') });
      const phases = await runPhases(`${n} gateway${n > 1 ? 's' : ''}`, targets, logins, o);
      scaling[String(n)] = phases.map(({ histogram: _h, timeline, ...rest }) => ({ ...rest, throughput: timeline.perSecond() }));
      for (const p of phases) rows.push([n, p.phase, p.completed, p.failed, round(p.pairingsPerSecond, 0), p.latency.p50Ms, p.latency.p99Ms, p.latency.maxMs]);
    } finally {
      await cluster.stop();
    }
  }
  report.tables.push({
    title: 'Pairing on a cluster sharing one Redis (customers and technicians spread over the gateways)',
    columns: ['gateways', 'phase', 'pairings', 'errors', 'per second', 'p50 ms', 'p99 ms', 'max ms'],
    rows,
  });

  if (o.recoverySessions > 0) {
    const recovery = await measureRecovery(o.recoverySessions);
    report.figures.recovery = recovery;
    report.tables.push({
      title: `Recovery after SIGKILL of the gateway holding ${o.recoverySessions} sessions (both parties resumed elsewhere)`,
      columns: ['sessions', 'resumed', 'p50 ms', 'p99 ms', 'max ms'],
      rows: [[o.recoverySessions, recovery.resumed, recovery.p50Ms, recovery.p99Ms, recovery.maxMs]],
    });
  }
  report.notes.push('Goal of the cluster issue: a session carries on within 5 s of its gateway being killed.');
  finish(report, o);
}

/** Sessions with both parties on gateway A (failing over to B); SIGKILL A; time until both sides resumed. */
async function measureRecovery(sessions: number) {
  const cluster = await startClusterFixture();
  try {
    const a = await cluster.start('gw-doomed', benchArgs);
    const b = await cluster.start('gw-spare', benchArgs);
    const password = await cluster.addTechnician('bench', 'bench');
    const tech = cluster.client(a, [b]);
    await tech.login('bench', password);
    const pairs: SessionConnection[][] = [];
    for (let i = 0; i < sessions; i++) {
      const s = await tech.createSession();
      const customer = await cluster.client(a, [b]).joinSession({ pin: s.pin }, `recovery ${i}`);
      const technician = await tech.pickUp(s.guid);
      await customer.waitFor('active');
      pairs.push([customer, technician]);
    }
    const histogram = new Histogram();
    let killedAt = 0;
    const resumedAt = (c: SessionConnection) =>
      new Promise<number>((resolve) => {
        const timer = setTimeout(() => resolve(Number.NaN), 15_000);
        c.on('resumed', () => {
          clearTimeout(timer);
          resolve(performance.now());
        });
      });
    const waits = pairs.map(async ([c, t]) => {
      const [x, y] = await Promise.all([resumedAt(c!), resumedAt(t!)]);
      const ms = Math.max(x, y) - killedAt;
      if (Number.isFinite(ms)) histogram.record(ms * 1000);
      return Number.isFinite(ms);
    });
    killedAt = performance.now();
    a.child.kill('SIGKILL');
    const ok = await Promise.all(waits);
    for (const [c] of pairs) c!.end();
    const s = histogram.summaryMs();
    return { sessions, resumed: ok.filter(Boolean).length, p50Ms: s.p50Ms, p99Ms: s.p99Ms, maxMs: s.maxMs };
  } finally {
    await cluster.stop();
  }
}
