import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

export interface GatewayProcess {
  child: ChildProcess;
  port: number;
  adminPort: number;
  fingerprint: string;
  dataDir: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Runs the gateway the way `npm start` does, as a real child process; resolves once it is listening. */
export async function spawnGateway(args: string[] = [], opts: { dataDir?: string } = {}): Promise<GatewayProcess> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'relaydesk-proc-')));
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/main.ts', '--host', '127.0.0.1', '--port', '0', '--admin-port', '0', '--data-dir', dataDir, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  child.stdout!.resume();
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const started = await Promise.race([
    new Promise<RegExpExecArray>((res) => {
      const check = () => {
        const m = /on https:\/\/[^:]+:(\d+) \(admin http:\/\/[^:]+:(\d+)\)\nCA fingerprint \(SHA-256\), for clients to pin: ([0-9A-F:]+)/.exec(err);
        if (m) res(m);
      };
      child.stderr!.on('data', check);
    }),
    exited.then(() => null),
    new Promise<null>((r) => setTimeout(() => r(null), 20_000)),
  ]);
  if (!started) {
    child.kill('SIGKILL');
    throw new Error(`gateway did not start: ${err}`);
  }
  return { child, port: Number(started[1]), adminPort: Number(started[2]), fingerprint: started[3]!, dataDir, stderr: () => err, exited };
}

/** Runs the gateway with arguments that should make it refuse to start; returns exit code and stderr. */
export function runGatewayExpectingExit(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/main.ts', ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c) => (err += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway did not exit within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stderr: err });
    });
  });
}
