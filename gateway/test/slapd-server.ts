import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { startWatchdog } from './redis-server.js';

/**
 * Test harness: Debian's slapd (a real OpenLDAP server, never a mock) on a loopback port, in its own temp
 * dir, loaded with `ldif` by slapadd before it starts. Like redis-server.ts: a watchdog removes the server
 * and the dir however the test process dies.
 */
export interface SlapdServer {
  readonly url: string;
  readonly suffix: string;
  /** The root DN and its password (test-only; the gateway should bind as a read-only service account). */
  readonly rootDn: string;
  readonly rootPassword: string;
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const schemaDir = '/etc/ldap/schema';
const moduleDir = '/usr/lib/ldap';

export async function startSlapd(options: { suffix: string; ldif: string; startTimeoutMs?: number }): Promise<SlapdServer> {
  const dir = await mkdtemp(join(tmpdir(), 'relaydesk-slapd-'));
  const pidFile = join(dir, '.harness-pid');
  const watchdog = startWatchdog(dir, pidFile);
  const rootDn = `cn=admin,${options.suffix}`;
  const rootPassword = 'slapd-test-root';
  mkdirSync(join(dir, 'db'));
  const conf = join(dir, 'slapd.conf');
  writeFileSync(
    conf,
    [
      ...['core', 'cosine', 'inetorgperson'].map((s) => `include ${schemaDir}/${s}.schema`),
      `pidfile ${join(dir, 'slapd.pid')}`,
      `modulepath ${moduleDir}`,
      'moduleload back_mdb',
      'database mdb',
      `suffix "${options.suffix}"`,
      `rootdn "${rootDn}"`,
      `rootpw ${rootPassword}`,
      `directory ${join(dir, 'db')}`,
      'maxsize 10485760',
      // Passwords are only for binding; everything else readable by any bound user, nothing by anonymous.
      'access to attrs=userPassword by anonymous auth by * none',
      'access to * by users read by * none',
      '',
    ].join('\n'),
  );
  const ldifFile = join(dir, 'data.ldif');
  writeFileSync(ldifFile, options.ldif);
  const load = spawnSync('slapadd', ['-f', conf, '-l', ldifFile], { encoding: 'utf8' });
  if (load.status !== 0) {
    watchdog?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`slapadd failed (${load.status}): ${load.stderr || load.error?.message}`);
  }

  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    // -d keeps slapd in the foreground (its debug level 0 prints nothing), so it is our child to stop.
    const proc: ChildProcess = spawn('slapd', ['-f', conf, '-h', `ldap://${host}:${port}/`, '-d', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stderr?.on('data', (d: Buffer) => void (output = (output + d.toString()).slice(-4000)));
    let exited = false;
    proc.once('exit', () => (exited = true));
    proc.once('error', (err) => {
      exited = true;
      output += err.message;
    });
    writeFileSync(pidFile, String(proc.pid ?? ''));
    while (!exited && !(await accepts(port)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    if (!exited && Date.now() < deadline) {
      const stop = async () => {
        if (proc.exitCode === null && proc.signalCode === null) {
          const gone = new Promise<void>((r) => proc.once('exit', () => r()));
          proc.kill('SIGTERM');
          const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
          await gone;
          clearTimeout(timer);
        }
        watchdog?.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      };
      return { url: `ldap://${host}:${port}`, suffix: options.suffix, rootDn, rootPassword, stop };
    }
    proc.kill('SIGKILL');
    // A port taken between probing and binding makes slapd exit at once: try another, a few times.
    if (attempt >= 2 || Date.now() >= deadline) {
      watchdog?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`slapd did not start: ${output.trim()}`);
    }
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(300, () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
  });
}
