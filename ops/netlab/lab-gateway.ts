import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FileAccountStore } from '../../gateway/src/auth/file-account-store.js';
import { hashPassword } from '../../gateway/src/auth/password.js';
import { waitForGatewayStart } from '../../gateway/test/gateway-process.js';
import type { Lab } from './lab.js';

export const repoRoot = resolve(import.meta.dirname, '../..');

export interface LabGateway {
  /** https://203.0.113.10:443 */
  baseUrl: string;
  host: string;
  port: number;
  /** The gateway's STUN endpoint: the same number as the TLS port, on UDP. */
  stunPort: number;
  caPem: string;
  caFile: string;
  dataDir: string;
  /** The gateway process (for CPU figures). */
  pid: number;
  /** A technician account made before start (organisation "lab"). */
  technician: { username: string; password: string };
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * The real gateway (`npm start`'s entry) inside the lab's gateway namespace, on TCP 443 (the one port a
 * `proxyOnly` network lets out) with STUN on UDP 443. The lab kills it on close as well.
 */
export async function startLabGateway(lab: Lab, args: string[] = []): Promise<LabGateway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'relaydesk-netlab-'));
  const technician = { username: 'labtech', password: `pw-${Math.random().toString(36).slice(2)}` };
  const accounts = new FileAccountStore({ dataDir });
  await accounts.create({ id: 't-labtech', username: technician.username, orgId: 'lab', displayName: 'Lab Tech', passwordHash: await hashPassword(technician.password), disabled: false, tokenEpoch: 0, createdAt: Date.now() });
  await accounts.close();
  const host = lab.gateway.address;
  const child = lab.spawn(lab.gateway.ns, process.execPath, ['--import', 'tsx', 'gateway/src/main.ts', '--host', '0.0.0.0', '--port', '443', '--admin-port', '0', '--data-dir', dataDir, '--public-names', host, ...args], { cwd: repoRoot });
  child.stdout!.resume();
  const { start, stderr } = await waitForGatewayStart(child, 30_000);
  const caFile = join(dataDir, 'tls', 'ca.crt');
  const caPem = await readFile(caFile, 'utf8');
  let stopped: Promise<void> | undefined;
  return {
    baseUrl: `https://${host}:${start.port}`,
    host,
    port: start.port,
    stunPort: start.port,
    caPem,
    caFile,
    dataDir,
    pid: child.pid!,
    technician,
    stderr,
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGKILL');
          await exited;
        }
        await rm(dataDir, { recursive: true, force: true });
      })()),
  };
}

/**
 * The probes, bundled once per test process with esbuild (into ops/netlab/.build, git-ignored): a probe
 * then starts in about a third of the CPU time tsx needs to load the SDK, and a lab test starts dozens.
 */
let bundled: Promise<string> | undefined;
export function probeBundle(): Promise<string> {
  return (bundled ??= (async () => {
    const { build } = await import('esbuild');
    const dir = join(repoRoot, 'ops/netlab/.build');
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, `probe-${process.pid}.mjs`);
    // Bundles of runs that are gone (a test worker is ended without its exit handlers running).
    for (const f of readdirSync(dir, { withFileTypes: true }).filter((e) => /^probe-\d+\.mjs$/.test(e.name))) {
      const pid = Number(f.name.slice(6, -4));
      try {
        process.kill(pid, 0);
      } catch {
        rmSync(join(dir, f.name), { force: true });
      }
    }
    await build({
      entryPoints: [join(repoRoot, 'ops/netlab/probe.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      external: ['@roamhq/wrtc'], // a native addon, loaded from node_modules
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      logLevel: 'error',
    });
    process.once('exit', () => rmSync(outfile, { force: true }));
    return outfile;
  })());
}

/** Starts ops/netlab/probe.ts inside a namespace, for probes that talk while they run (lines(): JSON so far). */
export async function spawnProbe(lab: Lab, ns: string, args: string[], env?: NodeJS.ProcessEnv) {
  const child = lab.spawn(ns, process.execPath, [await probeBundle(), ...args], { cwd: repoRoot, env: env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  return withJsonLines(child);
}

/** Collects a child's stdout JSON lines and waits for one that matches (bounded; rejects with its stderr). */
export function withJsonLines<C extends ChildProcess>(child: C) {
  const lines: Record<string, unknown>[] = [];
  let err = '';
  let buffered = '';
  child.stdout!.on('data', (c: Buffer) => {
    buffered += c.toString();
    for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ text: line });
      }
    }
  });
  child.stderr!.on('data', (c: Buffer) => void (err = (err + c.toString()).slice(-4000)));
  const waitFor = async (match: (line: Record<string, unknown>) => boolean, timeoutMs = 20_000): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = lines.find(match);
      if (hit) return hit;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`probe: no matching line (${child.exitCode === null ? 'timeout' : `exit ${child.exitCode}`}); got ${JSON.stringify(lines)}; stderr ${err}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { child, lines, waitFor, stderr: () => err };
}

/** Runs ops/netlab/probe.ts inside a namespace and returns its JSON line. */
export async function probe<T>(lab: Lab, ns: string, args: string[]): Promise<T> {
  const out = await lab.exec(ns, process.execPath, [await probeBundle(), ...args], undefined, 30_000);
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}
