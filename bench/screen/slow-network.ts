/**
 * Why the screen benchmark runs in a network namespace of its own: on the host's loopback (MTU 64 KiB) the
 * kernel sizes a socket's send buffer at ~4 MB, so a viewer that stops reading absorbs a minute of screen
 * packets before the gateway sees any backpressure, and a pause of seconds drops nothing. In a fresh
 * namespace the loopback gets an Ethernet MTU and WAN-sized TCP buffers (per-namespace sysctls): the same
 * real TCP flow control, but a paused viewer fills its queue within seconds, as on a real link. The host's
 * settings are not touched. Needs root (ip netns); without it the run stays on the host loopback.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';

export const NETNS_ENV = 'RELAYDESK_SCREEN_BENCH_NETNS';

const run = (args: string[]) => {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.error?.message ?? r.stderr.trim()}`);
};

/** True when this process should re-run itself inside a namespace (root, not inside one yet). */
export function wantsNamespace(): boolean {
  return !process.env[NETNS_ENV] && process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0;
}

/** Runs `argv` inside a new namespace with WAN-like TCP buffers; resolves to its exit status. The namespace is removed after. */
export async function runInSlowNamespace(argv: string[]): Promise<number> {
  const ns = `rd-screen-${process.pid}`;
  run(['ip', 'netns', 'add', ns]);
  try {
    run(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up', 'mtu', '1500']);
    run(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.tcp_wmem=4096 16384 131072', 'net.ipv4.tcp_rmem=4096 65536 131072']);
    // Not spawnSync: the caller's event loop (a test runner's, for one) must keep running meanwhile.
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: 'inherit', env: { ...process.env, [NETNS_ENV]: ns } });
    const [code] = (await once(child, 'exit')) as [number | null];
    return code ?? 1;
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

/** A line for the report saying which network the run used. */
export function networkNote(): string {
  const ns = process.env[NETNS_ENV];
  return ns
    ? `network: loopback of namespace ${ns} with MTU 1500 and TCP buffers of at most 128 KiB (bench/screen/slow-network.ts)`
    : "network: the host's loopback (not root: a paused viewer's kernel buffers take megabytes before the gateway drops)";
}
