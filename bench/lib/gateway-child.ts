import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FileAccountStore } from '../../gateway/src/auth/file-account-store.js';
import { hashPassword } from '../../gateway/src/auth/password.js';
import { waitForGatewayStart } from '../../gateway/test/gateway-process.js';
import type { Credentials, Target } from './targets.js';

export const repoRoot = resolve(import.meta.dirname, '../..');

/** Open-file limit asked for children that hold many connections (50k customers need > 50k descriptors). */
export const NOFILE = 200_000;

/**
 * Spawns `argv` with the open-file limit raised to NOFILE (or the hard limit when that is lower and we
 * may not raise it): Node cannot raise its own limit, a shell in between can.
 */
export function spawnWithFdLimit(argv: string[], options: { cwd?: string; stdio?: ('ignore' | 'pipe' | 'ipc' | 'inherit')[]; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const script = `ulimit -n ${NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`;
  return spawn('sh', ['-c', script, 'sh', ...argv], { cwd: options.cwd ?? repoRoot, stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
}

/** Resident memory of a process in bytes (VmRSS of /proc/<pid>/status), or undefined when it is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The soft open-file limit of a process (from /proc/<pid>/limits); undefined when unknown. */
export function openFileLimit(pid: number): number | undefined {
  try {
    const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return m ? (m[1] === 'unlimited' ? Infinity : Number(m[1])) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat; undefined when gone. */
export function cpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

export interface LocalGateway {
  target: Target;
  pid: number;
  dataDir: string;
  adminPort: number;
  technicians: Credentials[];
  /** Files of the gateway's TLS leaf, for peers that must use the very same certificate (nginx, uWS hello). */
  tls: { certFile: string; keyFile: string; caFile: string };
  stderr(): string;
  stop(): Promise<void>;
}

export interface LocalGatewayOptions {
  /** Extra gateway flags, e.g. ['--registry', 'redis', '--redis-url', url]. */
  args?: string[];
  /** Technician accounts to create before start (passwords are random). */
  technicians?: number;
  startTimeoutMs?: number;
  /** Extra Node flags for the gateway process, e.g. ['--cpu-prof', '--cpu-prof-dir', dir] to profile it. */
  nodeArgs?: string[];
  /** Run the gateway of another checkout (e.g. a worktree of main, for before/after in one run). */
  cwd?: string;
}

/**
 * Starts the gateway under test as its own process (`node --import tsx gateway/src/main.ts`) on loopback
 * with a fresh data folder, so its one thread gets a core of its own and its memory is measurable.
 * Rate limits that would throttle a load test from one machine are lifted; everything else is default.
 */
export async function startLocalGateway(options: LocalGatewayOptions = {}): Promise<LocalGateway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'relaydesk-bench-'));
  const technicians: Credentials[] = [];
  const accounts = new FileAccountStore({ dataDir });
  for (let i = 0; i < (options.technicians ?? 1); i++) {
    const username = `bench${i}`;
    const password = `pw-${Math.random().toString(36).slice(2)}-${i}`;
    await accounts.create({
      id: `t-bench${i}`,
      username,
      orgId: 'bench',
      displayName: `Bench ${i}`,
      passwordHash: await hashPassword(password),
      disabled: false,
      tokenEpoch: 0,
      createdAt: Date.now(),
    });
    technicians.push({ username, password });
  }
  await accounts.close();

  const args = [
    process.execPath, ...(options.nodeArgs ?? []), '--import', 'tsx', 'gateway/src/main.ts',
    '--host', '127.0.0.1', '--port', '0', '--admin-port', '0', '--data-dir', dataDir, '--log-level', 'warn',
    '--login-attempts-per-address', '100000', '--pin-guesses-per-address', '100000', '--pin-guesses-global', '10000000',
    '--max-failed-logins', '100', '--shutdown-grace-seconds', '0',
    '--pin-guesses-per-prefix', '1000000', '--logins-per-second', '100000', '--max-failed-logins-per-account', '100000',
    '--max-sessions-per-technician', '1000000', '--max-sessions-per-org', '10000000',
    // A Redis-backed gateway also opens the gateway-link listener: a free loopback port, never the default 8444.
    '--link-host', '127.0.0.1', '--link-port', '0', '--link-advertise', '127.0.0.1',
    ...(options.args ?? []),
  ];
  const child = spawnWithFdLimit(args, { cwd: options.cwd });
  child.stdout!.resume();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let started;
  try {
    started = await waitForGatewayStart(child, options.startTimeoutMs ?? 30_000);
  } catch (e) {
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  const { start, stderr } = started;
  const port = start.port;
  const tlsDir = join(dataDir, 'tls');
  const caFile = join(tlsDir, 'ca.crt');
  const ca = await readFile(caFile, 'utf8');
  let stopped = false;
  return {
    target: { baseUrl: `https://127.0.0.1:${port}`, host: '127.0.0.1', port, ca },
    pid: child.pid!,
    dataDir,
    adminPort: start.adminPort,
    technicians,
    tls: { certFile: join(tlsDir, 'gateway.crt'), keyFile: join(tlsDir, 'gateway.key'), caFile },
    stderr,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        // SIGTERM with no grace period (so a --cpu-prof profile gets written), SIGKILL if it hangs.
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
