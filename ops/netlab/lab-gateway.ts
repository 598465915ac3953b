import { mkdtemp, rm } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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
  dataDir: string;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * The real gateway (`npm start`'s entry) inside the lab's gateway namespace, on TCP 443 (the one port a
 * `proxyOnly` network lets out) with STUN on UDP 443. The lab kills it on close as well.
 */
export async function startLabGateway(lab: Lab, args: string[] = []): Promise<LabGateway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'relaydesk-netlab-'));
  const host = lab.gateway.address;
  const child = lab.spawn(lab.gateway.ns, process.execPath, ['--import', 'tsx', 'gateway/src/main.ts', '--host', '0.0.0.0', '--port', '443', '--admin-port', '0', '--data-dir', dataDir, '--public-names', host, ...args], { cwd: repoRoot });
  child.stdout!.resume();
  const { start, stderr } = await waitForGatewayStart(child, 30_000);
  const caPem = await readFile(join(dataDir, 'tls', 'ca.crt'), 'utf8');
  let stopped: Promise<void> | undefined;
  return {
    baseUrl: `https://${host}:${start.port}`,
    host,
    port: start.port,
    stunPort: start.port,
    caPem,
    dataDir,
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

/** Runs ops/netlab/probe.ts inside a namespace and returns its JSON line. */
export async function probe<T>(lab: Lab, ns: string, args: string[]): Promise<T> {
  const out = await lab.exec(ns, process.execPath, ['--import', 'tsx', join(repoRoot, 'ops/netlab/probe.ts'), ...args]);
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}
