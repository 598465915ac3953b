import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/**
 * Test harness: a real redis-server (never a mock) on a loopback port, in its own temp dir, without
 * persistence. Used by the registry tests, the gateway end-to-end tests and, with extra `args`, the
 * Sentinel / Cluster tests.
 */
export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** redis://host:port */
  readonly url: string;
  /** The server's working directory (for extra config files such as a cluster nodes file). */
  readonly dir: string;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** Graceful stop: SIGTERM, then waits for the process to exit. Safe when already stopped. The temp dir
   * stays for restart(); it goes when this process exits. */
  stop(): Promise<void>;
  /** Hard stop: SIGKILL, then waits for the process to exit. Safe when already stopped. */
  kill(): Promise<void>;
  /** Starts the server again on the SAME port and dir (stopping it first if it still runs). */
  restart(): Promise<void>;
}

export interface StartRedisOptions {
  /** Port to listen on; a free one is chosen when absent. */
  port?: number;
  /** Extra redis-server arguments, e.g. ['--cluster-enabled', 'yes'] or ['--requirepass', 'x']. */
  args?: string[];
  /**
   * Run as a Sentinel (`redis-server <dir>/sentinel.conf --sentinel`); give its directives in `args`,
   * e.g. ['--sentinel', 'monitor', 'mymaster', '127.0.0.1', '6380', '1']. Sentinel rewrites that file,
   * and restart() keeps it, as a restarted Sentinel would.
   */
  sentinel?: boolean;
  /** The binary; REDIS_SERVER_BIN or `redis-server` on the PATH by default. */
  bin?: string;
  /** How long to wait for the first PONG. */
  startTimeoutMs?: number;
}

const host = '127.0.0.1';

// Every process this module started and has not seen exit yet, killed when the test process exits;
// the temp dirs go then too (not on stop(), so restart() finds e.g. a cluster's nodes.conf again).
const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Starts a redis-server and resolves once it answers (and is the process we started). */
export async function startRedisServer(options: StartRedisOptions = {}): Promise<RedisServer> {
  installExitHook();
  const bin = options.bin ?? process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const startTimeoutMs = options.startTimeoutMs ?? 5000;
  const dir = await mkdtemp(join(tmpdir(), 'relaydesk-redis-'));
  dirs.add(dir);
  let port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  // One watchdog per server handle, for the life of this process: it owns the temp dir and whatever
  // server pid the pid file names at the moment this process dies.
  const pidFile = join(dir, '.harness-pid');
  const watchdog = startWatchdog(dir, pidFile);

  const sentinelConf = join(dir, 'sentinel.conf');
  if (options.sentinel) writeFileSync(sentinelConf, '');

  const launch = async (): Promise<void> => {
    const args = [
      // Sentinel mode needs its (writable) config file as the very first argument.
      ...(options.sentinel ? [sentinelConf, '--sentinel'] : []),
      '--port', String(port),
      '--bind', host,
      '--dir', dir,
      // No persistence: tests want a clean slate, and fsync would only slow them down.
      '--save', '',
      '--appendonly', 'no',
      '--daemonize', 'no',
      '--loglevel', 'warning',
      ...(options.args ?? []),
    ];
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout?.on('data', (d: Buffer) => void (output = (output + d.toString()).slice(-4000)));
    proc.stderr?.on('data', (d: Buffer) => void (output = (output + d.toString()).slice(-4000)));
    const exited = new Promise<string>((resolve) => {
      proc.once('error', (err) => resolve(err.message));
      proc.once('exit', (code, signal) => resolve(`exited with ${signal ?? code}`));
    });
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    proc.once('error', () => live.delete(proc));
    // Neither the server nor its pipes should keep a finished test process alive.
    proc.unref();
    (proc.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    (proc.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    child = proc;
    writeFileSync(pidFile, String(proc.pid ?? ''));
    // Cleared at exit, so the watchdog can never kill a stranger that reused the pid.
    proc.once('exit', () => {
      try {
        writeFileSync(pidFile, '');
      } catch {
        // The exit hook already removed the dir.
      }
    });

    const deadline = Date.now() + startTimeoutMs;
    let failure: string | undefined;
    void exited.then((why) => (failure = why));
    while (!(await answersAs(port, proc.pid)) || failure !== undefined) {
      if (failure !== undefined) {
        throw new Error(`redis-server on ${host}:${port} ${failure}: ${output.trim()}`);
      }
      if (Date.now() > deadline) {
        await signalAndWait('SIGKILL');
        throw new Error(`redis-server on ${host}:${port} did not answer PING within ${startTimeoutMs} ms: ${output.trim()}`);
      }
      await sleep(20);
    }
  };

  const signalAndWait = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    // A server that ignores SIGTERM for 5 s gets SIGKILL: a stuck test must not leave it behind.
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  };

  // A chosen-free port can be taken between probing and binding; try a few before giving up.
  for (let attempt = 0; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      if (options.port !== undefined || attempt >= 2) {
        watchdog?.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        dirs.delete(dir);
        throw err;
      }
      port = await freePort();
    }
  }

  return {
    host,
    port,
    url: `redis://${host}:${port}`,
    dir,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    stop: () => signalAndWait('SIGTERM'),
    kill: () => signalAndWait('SIGKILL'),
    restart: async () => {
      await signalAndWait('SIGTERM');
      await launch();
    },
  };
}

/**
 * Cleans up after this process however it dies, SIGKILL included (where no exit hook runs, e.g. a test
 * worker killed by the runner): a shell blocks reading our pipe, which reaches EOF only when this
 * process is gone; then it kills the server named in the pid file and removes the temp dir.
 */
export function startWatchdog(dir: string, pidFile: string): ChildProcess | undefined {
  const script = 'read _ignored; p=$(cat "$2" 2>/dev/null); [ -n "$p" ] && kill -9 "$p" 2>/dev/null; rm -rf "$1"';
  const dog = spawn('sh', ['-c', script, 'watchdog', dir, pidFile], { stdio: ['pipe', 'ignore', 'ignore'] });
  dog.on('error', () => {});
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return dog;
}

/**
 * Whether the server on `port` is the process `pid` and answers. A raw RESP `INFO server`, no client
 * library; comparing process_id matters: on a taken port, PING would be answered by the other server.
 * A password-protected server (-NOAUTH) cannot be asked, so it counts as ours while our process lives.
 */
function answersAs(port: number, pid: number | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.startsWith('-NOAUTH')) return done(true);
      if (reply.startsWith('-')) return done(false); // e.g. -LOADING: not ready yet
      const m = /process_id:(\d+)/.exec(reply);
      if (m) done(Number(m[1]) === pid);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
