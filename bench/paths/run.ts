/**
 * `npm run bench -- paths [--reps 3] [--out docs/paths.md]`: every pair of NAT kinds of the lab (customer ×
 * technician), each a real session through the lab gateway; which path it ends on and the time from pickup
 * to that path (p50/p99 over all direct runs). Writes the matrix as Markdown. Needs root (the NAT lab).
 * The kind `proxyOnly` is left out: its networks let nothing but the proxy out, so it stays on the relay.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { buildLab, labUnavailableReason, type PartySpec } from '../../ops/netlab/lab.js';
import { spawnProbe, startLabGateway, type LabGateway } from '../../ops/netlab/lab-gateway.js';
import type { Lab } from '../../ops/netlab/lab.js';
import { cpuMs } from '../lib/gateway-child.js';
import type { NatKind } from '../../ops/netlab/nat-rules.js';
import { runPathPair, type PathPairResult } from '../../ops/netlab/path-pair.js';

const kinds: NatKind[] = ['public', 'cone', 'restricted', 'symmetric', 'double', 'udpBlocked'];
const short: Record<string, string> = { public: 'pub', cone: 'cone', restricted: 'rest', symmetric: 'sym', double: 'dbl', udpBlocked: 'udpb' };

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { reps: { type: 'string', default: '3' }, mb: { type: 'string', default: '16' }, out: { type: 'string', default: 'docs/paths.md' }, tag: { type: 'string' }, only: { type: 'string' }, help: { type: 'boolean', default: false } } });
  if (values.help) return void process.stdout.write('options: --reps 3 (runs per pair)  --mb 16 (bulk per path in the throughput part; 0 skips it)  --out docs/paths.md  --tag ID (starts the lab namespaces\' names)  --only kind:kind,… (just those pairs, e.g. restricted:symmetric)\n');
  const why = labUnavailableReason();
  if (why) throw new Error(why);
  // Two parties of each kind, so a kind can meet itself.
  const parties: PartySpec[] = kinds.flatMap((k) => [1, 2].map((n) => ({ name: `${short[k]}${n}`, nat: k })));
  const lab = await buildLab(parties, { tag: values.tag });
  const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
  const loadBefore = load();
  const results: PathPairResult[] = [];
  let loadAfter = '';
  const perPath: PerPath[] = [];
  try {
    const gateway = await startLabGateway(lab, ['--log-level', 'warn']);
    if (Number(values.mb) > 0) {
      // A pair that goes direct over TCP, one that can only hole-punch UDP (symmetric against a cone), and one
      // that only a birthday punch takes direct (port-restricted against symmetric: TLS over TCP again).
      for (const [c, k] of [['pub1', 'cone2'], ['sym1', 'cone2'], ['rest1', 'sym2']] as const) {
        perPath.push(...(await measurePaths(lab, gateway, c, k, Number(values.mb)).catch((err: Error) => (process.stderr.write(`${c} × ${k}: ${err.message.slice(0, 300)}\n`), []))));
      }
    }
    const pairs: [NatKind, NatKind][] = [];
    const only = values.only?.split(',').map((p) => p.split(':'));
    if (only?.some((p) => p.length !== 2 || !p.every((k) => kinds.includes(k as NatKind)))) throw new Error(`--only takes pairs of ${kinds.join(', ')}, as kind:kind,…`);
    for (let i = 0; i < kinds.length; i++) for (let j = i; j < kinds.length; j++) if (!only || only.some(([a, b]) => (a === kinds[i] && b === kinds[j]) || (a === kinds[j] && b === kinds[i]))) pairs.push([kinds[i]!, kinds[j]!]);
    for (let rep = 0; rep < Number(values.reps); rep++) {
      for (const [a, b] of pairs) {
        const r = await runPathPair(lab, gateway, `${short[a]}1`, `${short[b]}2`).catch((err: Error) => {
          process.stderr.write(`${a}/${b}: ${err.message.slice(0, 300)}\n`);
          return null;
        });
        if (r) {
          results.push(r);
          const broken = r.echoed !== null && (r.echoed !== 20 || !r.inOrder) ? ` (echoed ${r.echoed}/20${r.inOrder ? '' : ', out of order'}; via ${r.via.join(' / ')})` : '';
          process.stderr.write(`${a.padEnd(10)} × ${b.padEnd(10)} ${r.path.padEnd(5)} ${r.ms} ms${broken}\n`);
        }
      }
    }
    await gateway.stop();
    loadAfter = load();
  } finally {
    await lab.close();
  }
  const kindOf = (name: string) => parties.find((p) => p.name === name)!.nat;
  const cell = (a: NatKind, b: NatKind) => {
    const runs = results.filter((r) => kindOf(r.customer) === a && kindOf(r.technician) === b);
    if (runs.length === 0) return '–';
    const paths = [...new Set(runs.map((r) => (r.attempts.some((a) => a.kind === 'birthday' && a.result === 'connected') ? 'tcp*' : r.path)))].join('/');
    const ms = runs.map((r) => r.ms).sort((x, y) => x - y);
    return `${paths} ${ms[Math.floor(ms.length / 2)]} ms`;
  };
  const direct = results.filter((r) => r.path !== 'relay').map((r) => r.ms).sort((x, y) => x - y);
  const q = (p: number) => direct[Math.min(direct.length - 1, Math.floor(p * direct.length))] ?? NaN;
  const punches = results.flatMap((r) => r.attempts.filter((a) => a.kind === 'birthday'));
  const punchTimes = punches.filter((a) => a.result === 'connected').map((a) => a.ms).sort((x, y) => x - y);
  const punchMs = (p: number) => punchTimes[Math.min(punchTimes.length - 1, Math.floor(p * punchTimes.length))] ?? NaN;
  const broken = results.filter((r) => r.path !== 'relay' && (r.echoed !== 20 || !r.inOrder));
  const lines = [
    '# Paths: the NAT matrix',
    '',
    `Made by \`npm run bench -- paths --reps ${values.reps}${values.only ? ` --only ${values.only}` : ''}\` (bench/paths/run.ts) in the NAT lab (ops/netlab): each cell is a real`,
    'session through the lab gateway, customer in the row\'s network, technician in the column\'s; the path it ended on',
    '(relay, tcp = TLS over TCP, udp = WebRTC data channel after a hole punch) and the median time from pickup to that',
    'path. Kinds: public = no NAT; cone = endpoint-independent mapping and filtering (RFC 4787); restricted = Linux',
    'MASQUERADE (port kept, address-and-port-dependent filtering); symmetric = `--random-fully`; double = two cones',
    'stacked; udpBlocked = restricted with UDP dropped. The lab runs on one machine: its round trips are sub-millisecond.',
    'tcp* = TLS over TCP found by a birthday punch (clients/sdk/src/paths/tcp-birthday.ts), after direct TCP and UDP failed.',
    `Load average (1, 5, 15 min) on the ${cpus().length}-core machine, shared with other work: ${loadBefore} at the start, ${loadAfter} at the end.`,
    '',
    `| customer \\ technician | ${kinds.join(' | ')} |`,
    `|---|${kinds.map(() => '---').join('|')}|`,
    ...kinds.map((a) => `| ${a} | ${kinds.map((b) => (kinds.indexOf(b) >= kinds.indexOf(a) ? cell(a, b) : '')).join(' | ')} |`),
    '',
    `Time from pickup to a direct path over ${direct.length} direct runs: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms (target p50 < 1 s).`,
    `Runs that lost or reordered a message on the direct path: ${broken.length} of ${results.length}.`,
    `Birthday punches: ${punches.filter((a) => a.result === 'connected').length} of ${punches.length} tried connected, in ${punchMs(0.5)} ms (p50) / ${punchMs(1)} ms (max) from both sides' \`punch\`.`,
    '',
    ...(perPath.length
      ? [
          '## Per path',
          '',
          `${values.mb} MB from technician to customer in 16 KiB messages on the data channel, and 50 one-at-a-time round trips`,
          '(2 bytes), over the relay and over the direct path the same session found. CPU per MB at both ends and at the',
          'gateway (what a session that goes direct saves it). Same machine, shared with other work: read ratios.',
          '',
          '| pair (customer × technician) | path | MB/s | RTT p50 / p99 ms | sender CPU ms/MB | receiver CPU ms/MB | gateway CPU ms/MB |',
          '|---|---|---|---|---|---|---|',
          ...perPath.map((p) => `| ${p.pair} | ${p.carrier} | ${p.mbPerSecond.toFixed(1)} | ${p.rttP50.toFixed(2)} / ${p.rttP99.toFixed(2)} | ${p.senderCpuMsPerMb.toFixed(1)} | ${p.receiverCpuMsPerMb.toFixed(1)} | ${p.gatewayCpuMsPerMb.toFixed(1)} |`),
          '',
        ]
      : []),
    '## Keeping a path',
    '',
    'A direct path is kept only while it is better than the relay (clients/sdk/src/paths/path-judge.ts, judged every',
    'second): over its last 20 keep-alive pings (every 500 ms; a pong later than 1 s counts as lost) its loss stays',
    'under 10 % and its RTT (smoothed, EWMA 1/8, or the window\'s smallest when less) is not above the relay\'s × 1.5 +',
    '20 ms (the relay\'s RTT from `ping`/`pong` signals through the gateway every 2 s while a direct path is in use).',
    'Judged only with 10 decided pings (and 2 relay samples for the RTT rule), and only after 3 worse judgements in a',
    'row; a clearly good one (loss under 5 %, RTT under relay × 1.2 + 20 ms) forgets them. Then the session falls back',
    'to the relay with the reason `loss` or `worse_than_relay` (`relaydesk_path_fallbacks_total{reason}`) and does not',
    'try a direct path again in that session. In this lab both RTTs are sub-millisecond, so the 20 ms margin keeps',
    'every direct path.',
    '',
  ];
  writeFileSync(values.out, lines.join('\n'));
  process.stdout.write(lines.join('\n'));
}

interface PerPath {
  pair: string;
  carrier: string;
  mbPerSecond: number;
  rttP50: number;
  rttP99: number;
  senderCpuMsPerMb: number;
  receiverCpuMsPerMb: number;
  gatewayCpuMsPerMb: number;
}

/** One session between two lab parties: relay and direct path side by side (probe.ts path-bench). */
async function measurePaths(lab: Lab, gateway: LabGateway, customer: string, technician: string, mb: number): Promise<PerPath[]> {
  const tech = await spawnProbe(lab, lab.party(technician).ns, ['path-bench', gateway.baseUrl, gateway.caFile, gateway.technician.username, gateway.technician.password, String(mb)]);
  const out: PerPath[] = [];
  try {
    const { pin } = (await tech.waitFor((l) => 'pin' in l, 30_000)) as { pin: string };
    const cust = await spawnProbe(lab, lab.party(customer).ns, ['path-customer', gateway.baseUrl, gateway.caFile, pin]);
    try {
      const { path } = (await tech.waitFor((l) => 'path' in l, 30_000)) as { path: string };
      for (const carrier of path === 'relay' ? ['relay'] : ['relay', path]) {
        await tech.waitFor((l) => l.phase === carrier, 60_000);
        const cpuBefore = cpuMs(gateway.pid) ?? 0;
        const line = (await tech.waitFor((l) => (l.bench as { carrier?: string } | undefined)?.carrier === carrier, 100_000)).bench as Omit<PerPath, 'pair' | 'gatewayCpuMsPerMb'> & { mb: number };
        const gatewayCpu = (cpuMs(gateway.pid) ?? 0) - cpuBefore;
        out.push({ ...line, pair: `${customer} × ${technician}`, gatewayCpuMsPerMb: gatewayCpu / line.mb });
        process.stderr.write(`${customer} × ${technician} ${carrier}: ${line.mbPerSecond.toFixed(1)} MB/s\n`);
      }
    } finally {
      cust.child.kill('SIGKILL');
    }
  } finally {
    tech.child.kill('SIGKILL');
  }
  return out;
}
