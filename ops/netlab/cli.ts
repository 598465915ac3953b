/**
 * `ops/netlab/netlab.sh up NAME:KIND[@LAN] …` builds a lab and keeps it until Ctrl-C (then tears it down);
 * `ops/netlab/netlab.sh sweep [--all]` removes lab namespaces a killed run left behind (`--all`: every lab's).
 * While a lab is up, `ip netns exec <namespace> <command>` runs anything inside it.
 */
import { parseArgs } from 'node:util';
import { buildLab, type PartySpec } from './lab.js';
import { natKinds, type NatKind } from './nat-rules.js';
import { sweepStaleNamespaces } from './namespaces.js';

const usage = `usage: netlab.sh up NAME:KIND[@LAN] …   (KIND: ${natKinds.join(', ')})\n       netlab.sh sweep [--all]\n`;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { all: { type: 'boolean', default: false } } });
  const [command, ...rest] = positionals;
  if (command === 'sweep') {
    const removed = await sweepStaleNamespaces({ all: values.all });
    process.stdout.write(removed.length ? `removed ${removed.join(' ')}\n` : 'no stale lab namespaces\n');
    return;
  }
  if (command !== 'up' || rest.length === 0) {
    process.stderr.write(usage);
    process.exit(2);
  }
  const parties: PartySpec[] = rest.map((arg) => {
    const m = /^([a-z0-9]+):([A-Za-z]+)(?:@([a-z0-9]+))?$/.exec(arg);
    if (!m || !(natKinds as readonly string[]).includes(m[2]!)) {
      process.stderr.write(`bad party "${arg}"\n${usage}`);
      process.exit(2);
    }
    return { name: m[1]!, nat: m[2] as NatKind, lan: m[3] };
  });
  const lab = await buildLab(parties);
  process.stdout.write(`gateway  ${lab.gateway.ns}  ${lab.gateway.address}\n`);
  for (const p of lab.parties.values()) {
    process.stdout.write(`${p.name.padEnd(8)} ${p.ns}  ${p.address} (seen as ${p.publicAddress}, ${p.nat})${p.proxy ? `  proxy ${p.proxy.host}:${p.proxy.port} in ${p.proxy.ns}` : ''}\n`);
  }
  process.stdout.write('lab is up; Ctrl-C tears it down\n');
  const down = () => void lab.close().then(() => process.exit(0));
  process.once('SIGINT', down);
  process.once('SIGTERM', down);
  setInterval(() => undefined, 1 << 30); // keep running until a signal
}

main().catch((err: Error) => {
  process.stderr.write(`netlab: ${err.message}\n`);
  process.exit(1);
});
