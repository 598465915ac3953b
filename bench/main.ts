/**
 * `npm run bench -- <scenario> [options]`: the load generator and benchmarks. Each scenario is a module
 * `bench/<scenario>/run.ts` exporting `run(argv)`; `--help` after a scenario lists its options.
 */
const scenarios: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<void> }> }> = {
  pairing: { summary: 'pairings/s and latency, in memory and on Redis (with redis-benchmark beside)', load: () => import('./pairing/run.js') },
  relay: { summary: 'MB/s and added latency through a session, side by side with an nginx stream proxy', load: () => import('./relay/run.js') },
  api: { summary: 'autocannon on the HTTP API beside a bare uWS.js hello-world (same TLS)', load: () => import('./api/run.js') },
  idle: { summary: 'waiting customers one gateway holds, and its resident memory', load: () => import('./idle/run.js') },
  cluster: { summary: 'pairing on 1, 2, 3 gateways sharing Redis; recovery after a gateway is killed', load: () => import('./cluster/run.js') },
  console: { summary: 'web console in Chromium: decode p50/p99 at 1080p, arrival→paint, bundle size, browser encoder vs native', load: () => import('./console/run.js') },
  screen: { summary: 'screen fan-out to 1/4/16 viewers with one slowed: gateway CPU per frame, repairs, their bytes and time', load: () => import('./screen/run.js') },
  codec: { summary: 'screen codec vs ffmpeg lossless encoders on real recordings', load: () => import('./codec/run.js') },
  attack: { summary: 'PIN guessing, a connection flood and malformed HTTP against a deployment: what got through', load: () => import('./attack/run.js') },
};

async function main(): Promise<void> {
  const [name, ...argv] = process.argv.slice(2);
  const scenario = name ? scenarios[name] : undefined;
  if (!scenario) {
    const list = Object.entries(scenarios)
      .map(([n, s]) => `  ${n.padEnd(10)} ${s.summary}`)
      .join('\n');
    process.stderr.write(`${name ? `unknown scenario "${name}"\n` : ''}usage: npm run bench -- <scenario> [options]\nscenarios:\n${list}\n`);
    process.exit(name ? 2 : 0);
  }
  await (await scenario.load()).run(argv);
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
