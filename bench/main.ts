/**
 * `npm run bench -- <scenario> [options]`: the load generator and benchmarks. Each scenario is a module
 * `bench/<scenario>/run.ts` exporting `run(argv)`; `--help` after a scenario lists its options.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './lib/options.js';

const scenarios: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<void> }> }> = {
  pairing: { summary: 'pairings/s and latency, in memory and on Redis (with redis-benchmark beside)', load: () => import('./pairing/run.js') },
  relay: { summary: 'MB/s and added latency through a session, side by side with an nginx stream proxy', load: () => import('./relay/run.js') },
  api: { summary: 'autocannon on the HTTP API beside a bare uWS.js hello-world (same TLS)', load: () => import('./api/run.js') },
  idle: { summary: 'waiting customers one gateway holds, and its resident memory', load: () => import('./idle/run.js') },
  cluster: { summary: 'pairing on 1, 2, 3 gateways sharing Redis; recovery after a gateway is killed', load: () => import('./cluster/run.js') },
  agent: { summary: 'customer agent on Xvfb: capture+encode CPU vs ffmpeg x11grab, change and key latency via a gateway', load: () => import('./agent/run.js') },
  console: { summary: 'web console in Chromium: decode p50/p99 at 1080p, arrival→paint, bundle size, browser encoder vs native', load: () => import('./console/run.js') },
  tls: { summary: 'server CPU per TLS handshake: ECDSA vs RSA, full vs resumed, bare uWS.js vs node:tls (the floor under pairing)', load: () => import('./tls/run.js') },
  mix: { summary: 'a realistic session mix (screen replay, chat, data) from worker processes, with --slo pass/fail', load: () => import('./mix/run.js') },
  paths: { summary: 'NAT matrix: every pair of lab NAT kinds, the path each session ends on, time from pickup to direct', load: () => import('./paths/run.js') },
  transports: { summary: 'UDP transport candidates (werift, wrtc, QUIC) vs TLS over TCP in the NAT lab, with netem loss', load: () => import('./paths/transports.js') },
  screen: { summary: 'screen fan-out to 1/4/16 viewers with one slowed: gateway CPU per frame, repairs, their bytes and time', load: () => import('./screen/run.js') },
  recording: { summary: 'what recording a session costs the gateway: CPU per frame, memory and bytes, on a normal and a slow disk', load: () => import('./recording/run.js') },
  codec: { summary: 'screen codec vs ffmpeg lossless encoders on real recordings', load: () => import('./codec/run.js') },
  files: { summary: 'file transfer MB/s through one gateway (SHA-256 in OpenSSL and in the SDK) beside raw bulk frames', load: () => import('./files/run.js') },
  attack: { summary: 'PIN guessing, a connection flood and malformed HTTP against a deployment: what got through', load: () => import('./attack/run.js') },
};

async function main(): Promise<void> {
  // The first positional is the scenario; everything after it is the scenario's (parsed by bench/lib/options.ts).
  const { positionals, tokens } = parseArgs({ args: process.argv.slice(2), options: { help: { type: 'boolean', short: 'h' } }, strict: false, allowPositionals: true, tokens: true });
  const first = tokens.find((t) => t.kind !== 'option-terminator');
  const name = first?.kind === 'positional' ? positionals[0] : undefined;
  const list = Object.entries(scenarios)
    .map(([n, s]) => `  ${n.padEnd(10)} ${s.summary}`)
    .join('\n');
  const text = `usage: npm run bench -- <scenario> [options]   (npm run bench -- <scenario> --help: its options)\nscenarios:\n${list}\n`;
  if (name === undefined) {
    // Bare `npm run bench` and `--help` both show the usage; an option before any scenario is a usage error.
    const help = first === undefined || (first.kind === 'option' && first.name === 'help');
    (help ? process.stdout : process.stderr).write(help ? text : `expected a scenario before ${first!.kind === 'option' ? first!.rawName : 'options'}\n${text}`);
    process.exit(help ? 0 : 2);
  }
  const scenario = scenarios[name];
  if (!scenario) {
    process.stderr.write(`unknown scenario "${name}"\n${text}`);
    process.exit(2);
  }
  await (await scenario.load()).run(process.argv.slice(2 + process.argv.slice(2).indexOf(name) + 1));
}

main().catch((err: Error) => {
  const code = (err as { exitCode?: unknown }).exitCode;
  if (typeof code === 'number') {
    // A threshold missed (--slo): the report is already printed.
    process.stderr.write(`bench: ${err.message}\n`);
    process.exit(code);
  }
  if (err instanceof UsageError) {
    process.stderr.write(`bench: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
