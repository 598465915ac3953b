import { createHash, X509Certificate } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { RelaydeskClient, nodeTransport } from '../../../clients/sdk/src/node.js';
import { runGatewayExpectingExit, spawnGateway } from '../gateway-process.js';
import { freePort } from '../free-port.js';
import { startRedisServer } from '../redis-server.js';
import { nextEvent } from './events.js';

describe('the gateway process (as `npm start` runs it)', () => {
  it('starts on the embedded default, prints the CA fingerprint, serves TLS 1.2+ only, and drains on SIGTERM', async () => {
    const gw = await spawnGateway(['--shutdown-grace-seconds', '5']);
    try {
      const caPem = await readFile(join(gw.dataDir, 'tls', 'ca.crt'), 'utf8');
      const der = new X509Certificate(caPem).raw;
      const fp = createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
      expect(gw.fingerprint).toBe(fp);

      // TLS 1.1 is refused; TLS 1.2 with an AEAD cipher works; the certificate chains to the printed CA.
      const old = await tlsHandshake(gw.port, caPem, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' });
      expect(old.ok).toBe(false);
      const v12 = await tlsHandshake(gw.port, caPem, { maxVersion: 'TLSv1.2' });
      expect(v12).toMatchObject({ ok: true, protocol: 'TLSv1.2' });
      expect(v12.cipher).toMatch(/GCM|CHACHA20/);
      const cbc = await tlsHandshake(gw.port, caPem, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-SHA256:AES128-SHA' });
      expect(cbc.ok).toBe(false);

      const client = new RelaydeskClient(nodeTransport({ baseUrl: `https://127.0.0.1:${gw.port}`, ca: caPem }));
      const info = await client.call<{ name: string }>('GET', '/v1/info');
      expect(info.name).toBe('relaydesk');
      const customer = await client.joinSession({ pin: '123456789' }, 'x').catch(() => null);
      expect(customer).toBeNull();

      // SIGTERM with nobody connected: the process exits 0 at once.
      const started = Date.now();
      gw.child.kill('SIGTERM');
      expect(await gw.exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(8000);
      // The log is written asynchronously; the lines of the last moments still reach stdout before the exit.
      const events = gw.stdout().trimEnd().split('\n').map((l) => JSON.parse(l).event);
      expect(events).toContain('gateway.started');
      // In this order, and the stop last; other lines (a late connection's, the cluster's) may come between.
      const shutdown = ['gateway.signal', 'gateway.draining', 'gateway.stopped'];
      expect(events.filter((e) => shutdown.includes(e)), events.join(' ')).toEqual(shutdown);
      expect(events.at(-1)).toBe('gateway.stopped');
    } finally {
      gw.child.kill('SIGKILL');
      await rm(gw.dataDir, { recursive: true, force: true });
    }
  });

  it('tells connected parties to reconnect on SIGTERM', async () => {
    const gw = await spawnGateway(['--shutdown-grace-seconds', '5']);
    try {
      const caPem = await readFile(join(gw.dataDir, 'tls', 'ca.crt'), 'utf8');
      const { execFileSync } = await import('node:child_process');
      const out = execFileSync(process.execPath, ['--import', 'tsx', 'gateway/src/admin/cli.ts', '--data-dir', gw.dataDir, 'create', 'ann', '--org', 'acme'], {
        cwd: join(import.meta.dirname, '../../..'),
        encoding: 'utf8',
      });
      const password = /password: (\S+)/i.exec(out)![1]!;
      const tech = new RelaydeskClient(nodeTransport({ baseUrl: `https://127.0.0.1:${gw.port}`, ca: caPem }));
      await tech.login('ann', password);
      const s = await tech.createSession();
      const customer = await new RelaydeskClient(nodeTransport({ baseUrl: `https://127.0.0.1:${gw.port}`, ca: caPem })).joinSession({ pin: s.pin }, 'Zoe');
      const reconnect = nextEvent(customer, 'reconnect');
      gw.child.kill('SIGTERM');
      expect(await reconnect).toBe('gateway_shutdown');
      customer.close(); // the party leaves as asked, so the gateway need not wait out its grace period
      expect(await gw.exited).toBe(0);
    } finally {
      gw.child.kill('SIGKILL');
      await rm(gw.dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a bad option with a message naming it, and exits 2', async () => {
    const bad = await runGatewayExpectingExit(['--port', 'eighty']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--port');
    expect(bad.stderr).toContain('0 to 65535');
    const unknown = await runGatewayExpectingExit(['--prot', '80']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown option --prot');
  });

  it('refuses to share a port: a second gateway on a taken gateway, admin or link port exits 1 naming it', async () => {
    // Fixed ports: uWS's SO_REUSEPORT sharing (what this guards against) never happens on a port-0 bind.
    const [port, adminPort] = [await freePort(), await freePort()];
    const first = await spawnGateway(['--port', String(port), '--admin-port', String(adminPort)]);
    const redis = await startRedisServer();
    const taken = net.createServer();
    try {
      await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
      const linkPort = (taken.address() as net.AddressInfo).port;
      // The first gateway's data folder: its TLS material is reused, so the others start without key generation.
      const base = ['--host', '127.0.0.1', '--admin-host', '127.0.0.1', '--data-dir', first.dataDir];
      const [onGatewayPort, onAdminPort, onLinkPort] = await Promise.all([
        runGatewayExpectingExit([...base, '--port', String(first.port), '--admin-port', '0']),
        runGatewayExpectingExit([...base, '--port', '0', '--admin-port', String(first.adminPort)]),
        runGatewayExpectingExit([...base, '--port', '0', '--admin-port', '0', '--registry', 'redis', '--redis-url', redis.url, '--link-host', '127.0.0.1', '--link-port', String(linkPort)]),
      ]);
      expect(onGatewayPort.code).toBe(1);
      expect(onGatewayPort.stderr).toContain(`gateway listener: cannot listen on 127.0.0.1:${first.port}: port ${first.port} is already in use`);
      expect(onAdminPort.code).toBe(1);
      expect(onAdminPort.stderr).toContain(`admin listener: cannot listen on 127.0.0.1:${first.adminPort}: port ${first.adminPort} is already in use`);
      expect(onLinkPort.code).toBe(1);
      expect(onLinkPort.stderr).toContain(`gateway link listener: cannot listen on 127.0.0.1:${linkPort}`);
      expect(onLinkPort.stderr).toContain('EADDRINUSE');
      // The first gateway still has its ports to itself and answers.
      const caPem = await readFile(join(first.dataDir, 'tls', 'ca.crt'), 'utf8');
      const info = await new RelaydeskClient(nodeTransport({ baseUrl: `https://127.0.0.1:${first.port}`, ca: caPem })).call<{ name: string }>('GET', '/v1/info');
      expect(info.name).toBe('relaydesk');
    } finally {
      first.child.kill('SIGKILL');
      taken.close();
      await redis.stop();
      await rm(first.dataDir, { recursive: true, force: true });
    }
  });

  it('exits non-zero with a clear message when Redis is unreachable at start-up', async () => {
    const r = await runGatewayExpectingExit(['--registry', 'redis', '--redis-url', 'redis://127.0.0.1:1', '--port', '0', '--admin-port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/redis/i);
    expect(r.stderr).toContain('127.0.0.1:1');
  });
});

function tlsHandshake(port: number, ca: string, opts: tls.ConnectionOptions): Promise<{ ok: boolean; protocol?: string | null; cipher?: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...opts }, () => {
      const result = { ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name };
      socket.end();
      resolve(result);
    });
    socket.once('error', () => resolve({ ok: false }));
  });
}
