import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionConnection } from '../../clients/sdk/src/node.js';
import { hashPassword } from '../../gateway/src/auth/password.js';
import { openAccountStore } from '../../gateway/src/auth/open-account-store.js';
import { loadOrCreateCa } from '../../gateway/src/pki/certificate-files.js';
import { startRedisServer, type RedisServer } from '../../gateway/test/redis-server.js';
import { startLocalGateway, type LocalGateway } from '../lib/gateway-child.js';
import type { SourceAddresses } from '../lib/source-addresses.js';
import { clientFor, type Credentials, type Target } from '../lib/targets.js';
import { sessionPipe, type Pipe } from './pipes.js';

/** How the relaydesk pipes are routed: one gateway, or customer on gateway A and technician on B (bridged over the link). */
export type Topology = '1' | '2';

export interface RelaydeskPipes {
  topology: Topology;
  pipes: Pipe[];
  /** The gateway processes whose CPU a phase counts (both, for two gateways). */
  pids: number[];
  /** The first gateway: its TLS files serve nginx and the sink too, so both sides use the same certificate. */
  first: LocalGateway;
  /** Every session connection of the benchmark, for the disconnect check. */
  connections: SessionConnection[];
  stop(): Promise<void>;
}

/**
 * Starts the gateway(s) of one topology and pairs `sessions` sessions through them. Two gateways share a
 * redis-server and a cluster CA (as in a deployment); the technician creates the session and picks it up
 * on B, the customer joins it on A, so A runs the session and B carries the technician over the gateway link.
 * `cwd`: run the gateway code of that checkout (a baseline for before/after) instead of this one.
 */
export async function startRelaydeskPipes(topology: Topology, sessions: number, sources: SourceAddresses, nodeArgs: string[], cwd?: string): Promise<RelaydeskPipes> {
  const cleanup: (() => unknown)[] = [];
  const stop = async () => {
    for (const c of cleanup.reverse()) await c();
  };
  try {
    let customerSide: LocalGateway;
    let technicianSide: LocalGateway;
    let login: Credentials;
    if (topology === '1') {
      customerSide = technicianSide = await startLocalGateway({ technicians: 1, nodeArgs, cwd });
      cleanup.push(() => customerSide.stop());
      login = customerSide.technicians[0]!;
    } else {
      const redis: RedisServer = await startRedisServer();
      cleanup.push(() => redis.stop());
      const clusterDir = await mkdtemp(join(tmpdir(), 'relaydesk-bench-cluster-'));
      cleanup.push(() => rm(clusterDir, { recursive: true, force: true }));
      // One cluster CA made before the gateways start (they would race to create it).
      await loadOrCreateCa({ dir: clusterDir, name: 'cluster-ca', commonName: 'bench cluster CA', validityDays: 30 });
      // Accounts in Redis too, as in a cluster: the anchor (A) re-checks the technician's token B issued.
      const shared = ['--registry', 'redis', '--redis-url', redis.url, '--account-store', 'redis', '--cluster-dir', clusterDir];
      customerSide = await startLocalGateway({ technicians: 0, nodeArgs, cwd, args: [...shared, '--gateway-id', 'relay-a'] });
      cleanup.push(() => customerSide.stop());
      technicianSide = await startLocalGateway({ technicians: 0, nodeArgs, cwd, args: [...shared, '--gateway-id', 'relay-b'] });
      cleanup.push(() => technicianSide.stop());
      login = await redisTechnician(redis.url);
    }
    const { pipes, connections } = await pairSessions(customerSide.target, technicianSide.target, login, sessions, sources, cleanup);
    const pids = [...new Set([customerSide.pid, technicianSide.pid])];
    return { topology, pipes, pids, first: customerSide, connections, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * `sessions` paired sessions, the customer a client of `customerTarget`, the technician (one login) of
 * `technicianTarget`; what must be closed afterwards goes onto `cleanup`.
 */
export async function pairSessions(customerTarget: Target, technicianTarget: Target, login: Credentials, sessions: number, sources: SourceAddresses, cleanup: (() => unknown)[]): Promise<{ pipes: Pipe[]; connections: SessionConnection[] }> {
  const tech = clientFor(technicianTarget, sources.take());
  cleanup.push(() => tech.close());
  await tech.client.login(login.username, login.password);
  const pipes: Pipe[] = [];
  const connections: SessionConnection[] = [];
  for (let i = 0; i < sessions; i++) {
    const cust = clientFor(customerTarget, sources.take());
    cleanup.push(() => cust.close());
    const s = await tech.client.createSession();
    const c = await cust.client.joinSession({ pin: s.pin }, `relay ${i}`);
    const t = await tech.client.pickUp(s.guid);
    await c.waitFor('active');
    connections.push(c, t);
    cleanup.push(() => (c.close(), t.close()));
    pipes.push(sessionPipe(c, t));
  }
  return { pipes, connections };
}

/** A technician account in the cluster's Redis account store (the gateways' own data folders are not shared). */
async function redisTechnician(redisUrl: string): Promise<Credentials> {
  const accounts = await openAccountStore({ kind: 'redis', redis: redisUrl });
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  await accounts.create({ id: 't-bench0', username: 'bench0', orgId: 'bench', displayName: 'Bench 0', passwordHash: await hashPassword(password), disabled: false, tokenEpoch: 0, createdAt: Date.now() });
  await accounts.close();
  return { username: 'bench0', password };
}
