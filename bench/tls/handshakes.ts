import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { connect, type ConnectionOptions } from 'node:tls';
import { cpuMs, repoRoot } from '../lib/gateway-child.js';

export interface TlsServer {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Starts bench/tls/tls-server.ts as its own process. */
export async function startTlsServer(kind: 'uws' | 'node', certFile: string, keyFile: string, ticketKeyHex?: string): Promise<TlsServer> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bench/tls/tls-server.ts', kind, certFile, keyFile, ...(ticketKeyHex ? [ticketKeyHex] : [])], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await Promise.race([once(createInterface({ input: child.stdout! }), 'line'), new Promise((_, rej) => setTimeout(() => rej(new Error('tls-server did not start')), 20_000).unref())])) as [string];
  return {
    port: Number(line),
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

export interface HandshakeResult {
  handshakes: number;
  failed: number;
  resumed: number;
  perSecond: number;
  /** Server CPU per handshake (µs), from /proc of the server process. */
  serverCpuUsPerHandshake: number | undefined;
}

/**
 * `count` TLS connections (connect, handshake, one request, close), `concurrency` at a time. With `resume`
 * each connection offers the session ticket of an earlier one (TLS 1.3 PSK), so the server skips its
 * certificate signature.
 */
export async function runHandshakes(
  port: number,
  serverPid: number | undefined,
  options: { count: number; concurrency: number; ca: string; resume: boolean; servername?: string; ticketFromPort?: number },
): Promise<HandshakeResult> {
  let session: Buffer | undefined;
  // ticketFromPort: the ticket comes from another server process (a reconnect to another gateway), and stays that one.
  if (options.resume) session = await once1(options.ticketFromPort ?? port, options, undefined).then((r) => r.session);
  let started = 0;
  let done = 0;
  let failed = 0;
  let resumed = 0;
  const cpu0 = serverPid ? cpuMs(serverPid) : undefined;
  const t0 = performance.now();
  const worker = async () => {
    while (started < options.count) {
      started++;
      try {
        const r = await once1(port, options, options.resume ? session : undefined);
        if (r.reused) resumed++;
        if (options.resume && r.session && options.ticketFromPort === undefined) session = r.session;
        done++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsed = performance.now() - t0;
  const cpu1 = serverPid ? cpuMs(serverPid) : undefined;
  return {
    handshakes: done,
    failed,
    resumed,
    perSecond: done / (elapsed / 1000),
    serverCpuUsPerHandshake: cpu0 !== undefined && cpu1 !== undefined && done ? ((cpu1 - cpu0) * 1000) / done : undefined,
  };
}

function once1(port: number, o: { ca: string; servername?: string }, session: Buffer | undefined): Promise<{ reused: boolean; session?: Buffer }> {
  return new Promise((resolve, reject) => {
    let ticket: Buffer | undefined;
    const opts: ConnectionOptions = { host: '127.0.0.1', port, ca: o.ca, servername: o.servername ?? 'localhost', ...(session ? { session } : {}) };
    const s = connect(opts, () => s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
    s.on('session', (t: Buffer) => (ticket = t));
    s.once('data', () => {
      const reused = s.isSessionReused();
      s.destroy();
      resolve({ reused, ...(ticket ? { session: ticket } : {}) });
    });
    s.once('error', reject);
    s.setTimeout(10_000, () => s.destroy(new Error('handshake timeout')));
  });
}
