import { spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './run-command.js';

/** Debian's squid and its Basic-authentication helper (packages squid, apache2-utils for htpasswd). */
const SQUID = '/usr/sbin/squid';
const NCSA_AUTH = '/usr/lib/squid/basic_ncsa_auth';
const START_TIMEOUT_MS = 15_000;

export interface SquidOptions {
  /** Address and port squid listens on (loopback, or a lab router's LAN address). */
  host: string;
  port: number;
  /** Ports CONNECT may reach (a "TCP 443 only" network: [443]). */
  connectPorts: number[];
  /** Basic-authentication users; without them the proxy is open. */
  users?: Record<string, string>;
  /** A lab namespace to run in (via `ip netns exec`); default: this machine's. */
  spawnIn?: (cmd: string, args: string[]) => ChildProcess;
}

export interface Squid {
  url(credentials?: { user: string; password: string }): string;
  /** CONNECT lines of squid's access log so far ("TCP_TUNNEL/200 … CONNECT 203.0.113.10:443 …"). */
  accessLog(): Promise<string[]>;
  stop(): Promise<void>;
}

/** Starts a squid of its own (own config, logs and pid file in a temporary folder); stop() removes it all. */
export async function startSquid(options: SquidOptions): Promise<Squid> {
  const dir = await mkdtemp(join(tmpdir(), 'relaydesk-squid-'));
  const users = Object.entries(options.users ?? {});
  if (users.length > 0) {
    for (const [i, [user, password]] of users.entries()) {
      await runCommand('htpasswd', [...(i === 0 ? ['-c'] : []), '-i', '-m', join(dir, 'passwd'), user], password);
    }
  }
  const config = [
    `http_port ${options.host}:${options.port}`,
    `pid_filename ${join(dir, 'squid.pid')}`,
    `access_log stdio:${join(dir, 'access.log')}`,
    `cache_log ${join(dir, 'cache.log')}`,
    `coredump_dir ${dir}`,
    'cache deny all',
    'cache_mem 8 MB',
    'netdb_filename none',
    'pinger_enable off',
    'shutdown_lifetime 0 seconds',
    'acl CONNECT method CONNECT',
    `acl allowed_ports port ${options.connectPorts.join(' ')}`,
    'http_access deny !CONNECT',
    'http_access deny CONNECT !allowed_ports',
    ...(users.length > 0
      ? [`auth_param basic program ${NCSA_AUTH} ${join(dir, 'passwd')}`, 'auth_param basic realm relaydesk-test', 'acl authenticated proxy_auth REQUIRED', 'http_access allow authenticated']
      : ['http_access allow all']),
    'http_access deny all',
  ].join('\n');
  await writeFile(join(dir, 'squid.conf'), config + '\n');
  // Squid drops root for the "proxy" user: its folder must be writable by it.
  const proxyUser = (await runCommand('id', ['-u', 'proxy'])).trim();
  const proxyGroup = (await runCommand('id', ['-g', 'proxy'])).trim();
  for (const f of ['', 'squid.conf', ...(users.length ? ['passwd'] : [])]) await chown(join(dir, f), Number(proxyUser), Number(proxyGroup));

  const args = ['-N', '-f', join(dir, 'squid.conf')];
  const child = options.spawnIn ? options.spawnIn(SQUID, args) : spawn(SQUID, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => void (output += c));
  child.stderr?.on('data', (c: Buffer) => void (output += c));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const cacheLog = () => readFile(join(dir, 'cache.log'), 'utf8').catch(() => '');
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if ((await cacheLog()).includes('Accepting HTTP Socket connections')) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = await cacheLog();
      await stop();
      throw new Error(`squid did not start: ${output.trim()} ${log.trim().split('\n').slice(-5).join(' | ')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: (c) => `http://${c ? `${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@` : ''}${options.host}:${options.port}`,
    accessLog: async () => (await readFile(join(dir, 'access.log'), 'utf8').catch(() => '')).split('\n').filter((l) => l.includes('CONNECT')),
    stop,
  };
}

/** A TCP port free right now (squid cannot be told to pick one itself). */
export { reserveLocalPort as freeLoopbackPort } from '../../clients/sdk/src/paths/tcp-simultaneous-open.js';
