/**
 * `npm run bench -- transports [--candidates werift,wrtc,quic,tls] [--rtt-ms 0] [--losses 0,1,5]`: the UDP
 * transport candidates side by side (TLS over TCP as the baseline) between two parties of the NAT lab, with
 * netem adding round-trip time and loss on one party's link. Per case: throughput, CPU per MB at both ends,
 * ping RTT p50/p99 (one 64-byte message at a time). Needs root (network namespaces).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildLab, labUnavailableReason } from '../../ops/netlab/lab.js';
import { repoRoot, withJsonLines } from '../../ops/netlab/lab-gateway.js';
import { runCommand } from '../../ops/netlab/run-command.js';

type Result = { candidate: string; bytes: number; mbPerSecond: number; clientCpuMsPerMb: number; serverCpuMsPerMb: number; rttP50: number; rttP99: number; rttMax: number };

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      candidates: { type: 'string', default: 'werift,wrtc,quic,tls' },
      'rtt-ms': { type: 'string', default: '0' },
      losses: { type: 'string', default: '0,1,5' },
      mb: { type: 'string', default: '16' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('options: --candidates werift,wrtc,quic,tls  --rtt-ms 0 (needs sch_netem)  --losses 0,1,5  --mb 16 (bulk MB at 0% loss; halved per loss step)\n');
    return;
  }
  const why = labUnavailableReason();
  if (why) throw new Error(why);
  const certDir = await mkdtemp(join(tmpdir(), 'relaydesk-bench-cert-'));
  await runCommand('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=bench', '-days', '1', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')]);
  const lab = await buildLab([
    { name: 'a', nat: 'public' },
    { name: 'b', nat: 'public' },
  ]);
  const results: (Result & { loss: number })[] = [];
  try {
    const losses = values.losses.split(',').map(Number);
    for (const loss of losses) {
      const rttMs = Number(values['rtt-ms']);
      // Both parties are without NAT: shape both, so each direction loses `loss`% (see Lab.shape).
      for (const party of ['a', 'b']) await lab.shape(party, { delayMs: rttMs / 2 || undefined, lossPercent: loss || undefined });
      const bytes = Math.round((Number(values.mb) * 1e6) / Math.max(1, 2 ** losses.indexOf(loss)));
      for (const candidate of values.candidates.split(',')) {
        const peer = (r: 'client' | 'server', ns: string, other: string) =>
          withJsonLines(lab.spawn(ns, process.execPath, ['--import', 'tsx', join(repoRoot, 'bench/paths/udp-peer.ts'), candidate, r, other, certDir, String(bytes)], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] }));
        const server = peer('server', lab.party('b').ns, lab.party('a').address);
        if (candidate === 'quic' || candidate === 'tls') await server.waitFor((l) => 'listening' in l, 30_000);
        const client = peer('client', lab.party('a').ns, lab.party('b').address);
        // WebRTC's offer/answer: relay the signal lines between the two ends (the session's control channel in real use).
        const relaySignals = (from: typeof client, to: typeof client) => {
          let forwarded = 0;
          return setInterval(() => {
            for (const l of from.lines.slice(forwarded)) if ('signal' in l) to.child.stdin!.write(JSON.stringify(l.signal) + '\n');
            forwarded = from.lines.length;
          }, 20);
        };
        const timers = [relaySignals(client, server), relaySignals(server, client)];
        try {
          const line = await client.waitFor((l) => 'result' in l || 'error' in l, 150_000);
          if ('error' in line) process.stderr.write(`${candidate} at ${loss}% loss: ${String(line.error)}\n${client.stderr()}\n${server.stderr()}\n`);
          else results.push({ ...(line.result as Result), loss });
        } catch (err) {
          process.stderr.write(`${candidate} at ${loss}% loss: ${(err as Error).message}\n`);
        } finally {
          timers.forEach(clearInterval);
          client.child.kill('SIGKILL');
          server.child.kill('SIGKILL');
        }
        const r = results.at(-1);
        if (r && r.candidate === candidate && r.loss === loss) process.stderr.write(`${candidate.padEnd(7)} loss ${loss}%: ${r.mbPerSecond.toFixed(1)} MB/s, rtt p50 ${r.rttP50.toFixed(1)} ms p99 ${r.rttP99.toFixed(1)} ms\n`);
      }
    }
  } finally {
    await lab.close();
    await rm(certDir, { recursive: true, force: true });
  }
  const rows = results.map(
    (r) =>
      `| ${r.candidate} | ${r.loss}% | ${r.mbPerSecond.toFixed(1)} | ${r.clientCpuMsPerMb.toFixed(1)} | ${r.serverCpuMsPerMb.toFixed(1)} | ${r.rttP50.toFixed(1)} | ${r.rttP99.toFixed(1)} | ${(r.bytes / 1e6).toFixed(0)} |`,
  );
  process.stdout.write(
    [`RTT added: ${values['rtt-ms']} ms (netem); each direction loses the given share of packets (netem, or iptables statistic without it).`, '', '| transport | loss | MB/s | sender CPU ms/MB | receiver CPU ms/MB | ping RTT p50 ms | p99 ms | MB sent |', '|---|---|---|---|---|---|---|---|', ...rows].join('\n') + '\n',
  );
}
