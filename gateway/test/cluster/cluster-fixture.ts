import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RelaydeskClient, nodeTransport } from '../../../clients/sdk/src/node.js';
import { hashPassword } from '../../src/auth/password.js';
import { openAccountStore } from '../../src/auth/open-account-store.js';
import { createCa } from '../../src/pki/certificate-authority.js';
import { loadOrCreateCa } from '../../src/pki/certificate-files.js';
import { issueCertificate } from '../../src/pki/issue-certificate.js';
import { spawnGateway, type GatewayProcess } from '../gateway-process.js';
import { startRedisServer, type RedisServer } from '../redis-server.js';

/**
 * Real gateway processes sharing one redis-server, one client-facing CA (so a client pinned to it can
 * resume on any of them) and one cluster CA for the gateway links.
 */
export async function startClusterFixture() {
  const dir = await mkdtemp(join(tmpdir(), 'relaydesk-cluster-'));
  const redis: RedisServer = await startRedisServer();
  const ca = await createCa('test client-facing CA', 30);
  const leaf = await issueCertificate(ca, { commonName: 'localhost', altNames: ['localhost', '127.0.0.1'], usage: 'server', validityDays: 30 });
  const files = { cert: join(dir, 'gateway.crt'), key: join(dir, 'gateway.key'), ca: join(dir, 'ca.crt') };
  await writeFile(files.cert, leaf.certPem);
  await writeFile(files.key, leaf.keyPem, { mode: 0o600 });
  await writeFile(files.ca, ca.certPem);
  await loadOrCreateCa({ dir: join(dir, 'cluster-ca'), name: 'cluster-ca', commonName: 'test cluster CA', validityDays: 30 });
  const gateways = new Map<string, GatewayProcess>();

  return {
    redis,
    caPem: ca.certPem,
    gateways,
    async start(id: string, extra: string[] = []): Promise<GatewayProcess> {
      const gw = await spawnGateway([
        '--gateway-id', id, '--registry', 'redis', '--redis-url', redis.url,
        '--tls-cert', files.cert, '--tls-key', files.key, '--tls-ca', files.ca,
        '--cluster-dir', join(dir, 'cluster-ca'), '--link-host', '127.0.0.1', '--link-port', '0', '--link-advertise', '127.0.0.1',
        '--log-level', 'warn', ...extra,
      ]);
      gateways.set(id, gw);
      return gw;
    },
    url: (gw: GatewayProcess) => `https://127.0.0.1:${gw.port}`,
    /** A client of `first`, failing over to the `others` when its gateway is lost. */
    client(first: GatewayProcess, others: GatewayProcess[] = []): RelaydeskClient {
      return new RelaydeskClient(
        nodeTransport({ baseUrl: `https://127.0.0.1:${first.port}`, ca: ca.certPem, failover: others.map((g) => `https://127.0.0.1:${g.port}`) }),
        { reconnect: { baseDelayMs: 50, maxDelayMs: 500 } },
      );
    },
    async addTechnician(username: string, orgId: string): Promise<string> {
      const accounts = await openAccountStore({ kind: 'redis', redis: redis.url });
      const password = `pw-${username}-${Math.random().toString(36).slice(2)}`;
      await accounts.create({ id: `t-${username}`, username, orgId, displayName: `Tech ${username}`, passwordHash: await hashPassword(password), disabled: false, tokenEpoch: 0, createdAt: Date.now() });
      await accounts.close();
      return password;
    },
    async stop(): Promise<void> {
      for (const gw of gateways.values()) {
        gw.child.kill('SIGKILL');
        await gw.exited;
        await rm(gw.dataDir, { recursive: true, force: true });
      }
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
