import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tls12Ciphers } from '../../gateway/src/pki/tls-policy.js';

export const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

/** Why nginx cannot run here, with the fix; undefined when it can. */
export function nginxMissing(): string | undefined {
  if (!existsSync(NGINX_BIN)) return `nginx not found at ${NGINX_BIN}: apt-get install nginx libnginx-mod-stream (or set NGINX_BIN)`;
  const v = spawnSync(NGINX_BIN, ['-V'], { encoding: 'utf8' });
  const built = `${v.stdout}${v.stderr}`;
  if (/--with-stream=dynamic/.test(built) && !existsSync(STREAM_MODULE)) return `nginx has no stream module (${STREAM_MODULE}): apt-get install libnginx-mod-stream`;
  if (!/--with-stream/.test(built)) return 'this nginx was built without the stream module';
  return undefined;
}

export interface NginxProxy {
  port: number;
  /** Master pid; the one worker's pid is `workerPid()` (where the relaying happens). */
  pid: number;
  workerPid(): number | undefined;
  stop(): Promise<void>;
}

/**
 * Debian's nginx as a TLS-terminating `stream` proxy on loopback, TLS again to the upstream, one worker
 * (the gateway relays on one thread too). Same certificate, key and TLS 1.2 cipher list as the gateway.
 */
export async function startNginx(opts: { upstreamPort: number; certFile: string; keyFile: string; caFile: string }): Promise<NginxProxy> {
  const missing = nginxMissing();
  if (missing) throw new Error(missing);
  const dir = await mkdtemp(join(tmpdir(), 'relaydesk-nginx-'));
  const port = await freePort();
  const conf = `
${/--with-stream=dynamic/.test(spawnSync(NGINX_BIN, ['-V'], { encoding: 'utf8' }).stderr) ? `load_module ${STREAM_MODULE};` : ''}
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 65536;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 16384; }
stream {
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${opts.certFile};
    ssl_certificate_key ${opts.keyFile};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ${tls12Ciphers};
    proxy_pass 127.0.0.1:${opts.upstreamPort};
    proxy_ssl on;
    proxy_ssl_protocols TLSv1.2 TLSv1.3;
    proxy_ssl_verify on;
    proxy_ssl_trusted_certificate ${opts.caFile};
    proxy_ssl_name localhost;
    proxy_timeout 60s;
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child: ChildProcess = spawn(NGINX_BIN, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
      await rm(dir, { recursive: true, force: true });
      throw new Error(`nginx did not start: ${err}${log}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    port,
    pid: child.pid!,
    workerPid() {
      try {
        const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
        return kids[0];
      } catch {
        return undefined;
      }
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGQUIT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
