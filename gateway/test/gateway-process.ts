import { spawn, type ChildProcess } from 'node:child_process';
import { parseStartLines, type StartInfo } from '../src/server/start-lines.js';
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
  /** What it wrote to stdout (its JSON log), the latest 200,000 characters. */
  stdout: () => string;
  exited: Promise<number | null>;
}

/** Runs the gateway the way `npm start` does, as a real child process; resolves once it is listening. */
export async function spawnGateway(args: string[] = [], opts: { dataDir?: string } = {}): Promise<GatewayProcess> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'relaydesk-proc-')));
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/main.ts', '--host', '127.0.0.1', '--port', '0', '--admin-port', '0', '--data-dir', dataDir, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => void (out = (out + c.toString()).slice(-200_000)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const { start, stderr } = await waitForGatewayStart(child, 20_000);
  return { child, port: start.port, adminPort: start.adminPort, fingerprint: start.caFingerprint, dataDir, stderr, stdout: () => out, exited };
}

/**
 * Waits until a gateway child process prints its start lines. Rejects, with what it printed, if it exits or
 * does not start in time (then it is killed). `stderr()` keeps returning the latest 20,000 characters.
 */
export function waitForGatewayStart(child: ChildProcess, timeoutMs: number): Promise<{ start: StartInfo; stderr: () => string }> {
  let err = '';
  child.stderr!.on('data', (c: Buffer) => void (err = (err + c.toString()).slice(-20_000)));
  const stderr = () => err;
  return new Promise((resolve, reject) => {
    const check = () => {
      const start = parseStartLines(err);
      if (!start) return;
      done();
      resolve({ start, stderr });
    };
    const fail = () => {
      done();
      child.kill('SIGKILL');
      reject(new Error(`gateway did not start: ${err.trim()}`));
    };
    const timer = setTimeout(fail, timeoutMs);
    timer.unref();
    const done = () => {
      clearTimeout(timer);
      child.stderr!.off('data', check);
      child.off('exit', fail);
    };
    child.stderr!.on('data', check);
    child.once('exit', fail);
  });
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
