import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '../redis-server.js';

/**
 * Real high-availability Redis set-ups on loopback for the HA tests, built from Debian's redis-server,
 * redis-sentinel and redis-cli (never a mock): a 3-primary Redis Cluster, and a primary + replicas watched by
 * three Sentinels. Every wait is bounded and names what it was waiting for when it gives up.
 */

const run = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it is true; throws naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
      last = undefined;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** One short-lived command on a fresh connection (no retries, no queue), so a dead node fails at once. */
export async function ask(port: number, ...args: string[]): Promise<unknown> {
  const conn = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: 1000 });
  conn.on('error', () => {});
  try {
    await conn.connect();
    return await conn.call(args[0]!, ...args.slice(1));
  } finally {
    conn.disconnect();
  }
}

/** Parses the `field:value` lines of INFO / CLUSTER INFO. */
export function infoFields(text: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of String(text).split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

export interface RedisClusterSet {
  /** The three primaries, each owning about a third of the 16384 slots. */
  primaries: RedisServer[];
  /** With `replicas: 1`, one replica per primary (which one replicates which: ask the cluster). */
  replicas: RedisServer[];
  /** host:port seed list, as given to `--redis-cluster-nodes`. */
  seeds: { host: string; port: number }[];
  /** Same as seeds, comma-separated. */
  seedList: string;
  stop(): Promise<void>;
}

/**
 * Starts cluster-enabled redis-servers and joins them with `redis-cli --cluster create` into a cluster of
 * 3 primaries (and `replicas` replicas each, 0 by default); resolves once every node reports
 * cluster_state:ok and every replica is in sync.
 */
export async function startRedisCluster(options: { nodeTimeoutMs?: number; replicas?: 0 | 1 } = {}): Promise<RedisClusterSet> {
  const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2000)];
  const replicaCount = options.replicas ?? 0;
  const nodes = await Promise.all(Array.from({ length: 3 * (1 + replicaCount) }, () => startRedisServer({ args })));
  const stop = async () => void (await Promise.all(nodes.map((p) => p.stop())));
  let primaries: RedisServer[];
  let replicas: RedisServer[];
  try {
    const addresses = nodes.map((p) => `${p.host}:${p.port}`);
    // redis-cli makes the first three the primaries and gives each one replica from the rest.
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicaCount), '--cluster-yes'], { timeout: 15_000 });
    for (const p of nodes) {
      await waitUntil(
        `cluster_state:ok and ${nodes.length} known nodes on ${p.host}:${p.port}`,
        async () => {
          const info = infoFields(await ask(p.port, 'CLUSTER', 'INFO'));
          return info.cluster_state === 'ok' && info.cluster_known_nodes === String(nodes.length) && info.cluster_slots_assigned === '16384';
        },
        15_000,
      );
    }
    const roles = await Promise.all(nodes.map(async (p) => infoFields(await ask(p.port, 'INFO', 'replication')).role));
    primaries = nodes.filter((_, i) => roles[i] === 'master');
    replicas = nodes.filter((_, i) => roles[i] === 'slave');
    if (primaries.length !== 3) throw new Error(`expected 3 primaries, found ${primaries.length}`);
    for (const r of replicas) {
      await waitUntil(`replica ${r.port} to sync`, async () => infoFields(await ask(r.port, 'INFO', 'replication')).master_link_status === 'up', 10_000);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const seeds = nodes.map((p) => ({ host: p.host, port: p.port }));
  return { primaries, replicas, seeds, seedList: seeds.map((s) => `${s.host}:${s.port}`).join(','), stop };
}

/** Which primary (index into `primaries`) serves `key`, asked of the cluster itself. */
export async function ownerOf(cluster: RedisClusterSet, key: string): Promise<number> {
  const slot = Number(await ask(cluster.primaries[0]!.port, 'CLUSTER', 'KEYSLOT', key));
  const ranges = (await ask(cluster.primaries[0]!.port, 'CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
  for (const [from, to, [, port]] of ranges) {
    if (slot >= from && slot <= to) return cluster.primaries.findIndex((p) => p.port === Number(port));
  }
  throw new Error(`no node serves slot ${slot} of ${key}`);
}

export interface SentinelSet {
  /** The data nodes: [0] starts as primary, the rest as its replicas. Which is primary now: currentPrimaryPort(). */
  nodes: RedisServer[];
  sentinels: RedisServer[];
  name: string;
  /** host:port list of the sentinels, as given to `--redis-sentinels`. */
  sentinelList: string;
  /** The primary's port as the sentinels see it (asks each live sentinel; majority answer). */
  currentPrimaryPort(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A primary, `replicas` replicas (`--replicaof`, 1 by default) and three Sentinels (quorum 2, down-after 1 s,
 * failover-timeout 3 s). Resolves once the replicas are in sync and every Sentinel knows them and the two
 * other Sentinels, so a failover can start as soon as the primary dies.
 */
export async function startSentinelSet(options: { name?: string; replicas?: number; downAfterMs?: number; failoverTimeoutMs?: number } = {}): Promise<SentinelSet> {
  const name = options.name ?? 'mymaster';
  const primary = await startRedisServer();
  const started: RedisServer[] = [primary];
  const stop = async () => void (await Promise.all(started.map((s) => s.stop())));
  try {
    const replicas = await Promise.all(
      Array.from({ length: options.replicas ?? 1 }, () => startRedisServer({ args: ['--replicaof', primary.host, String(primary.port)] })),
    );
    started.push(...replicas);
    const sentinelArgs = [
      '--sentinel', 'monitor', name, primary.host, String(primary.port), '2',
      '--sentinel', 'down-after-milliseconds', name, String(options.downAfterMs ?? 1000),
      '--sentinel', 'failover-timeout', name, String(options.failoverTimeoutMs ?? 3000),
      '--sentinel', 'parallel-syncs', name, '1',
    ];
    const sentinels = await Promise.all([0, 1, 2].map(() => startRedisServer({ sentinel: true, args: sentinelArgs })));
    started.push(...sentinels);

    for (const replica of replicas) {
      await waitUntil(`replica ${replica.port} to sync`, async () => infoFields(await ask(replica.port, 'INFO', 'replication')).master_link_status === 'up', 10_000);
    }
    for (const s of sentinels) {
      await waitUntil(
        `sentinel ${s.port} to know the replicas and 2 other sentinels`,
        async () => {
          const known = (await ask(s.port, 'SENTINEL', 'REPLICAS', name)) as unknown[];
          const peers = (await ask(s.port, 'SENTINEL', 'SENTINELS', name)) as unknown[];
          return known.length === replicas.length && peers.length === 2;
        },
        // Sentinels find each other by hello messages every 2 s on the primary's pub/sub channel.
        15_000,
        100,
      );
    }
    const currentPrimaryPort = async () => {
      const votes = new Map<number, number>();
      for (const s of sentinels) {
        if (!s.running) continue;
        try {
          const [, port] = (await ask(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string];
          votes.set(Number(port), (votes.get(Number(port)) ?? 0) + 1);
        } catch {
          // A sentinel that does not answer has no vote.
        }
      }
      const best = [...votes.entries()].sort((a, b) => b[1] - a[1])[0];
      if (!best) throw new Error('no sentinel answered');
      return best[0];
    };
    return {
      nodes: [primary, ...replicas],
      sentinels,
      name,
      sentinelList: sentinels.map((s) => `${s.host}:${s.port}`).join(','),
      currentPrimaryPort,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Whether every live Sentinel of `set` lists the node on `port` as a healthy replica of the current primary. */
export async function sentinelsSeeReplica(set: SentinelSet, port: number): Promise<boolean> {
  for (const sentinel of set.sentinels) {
    const replicas = (await ask(sentinel.port, 'SENTINEL', 'REPLICAS', set.name)) as string[][];
    const healthy = replicas.some((r) => {
      const fields = new Map<string, string>();
      for (let i = 0; i + 1 < r.length; i += 2) fields.set(r[i]!, r[i + 1]!);
      return fields.get('port') === String(port) && fields.get('master-link-status') === 'ok' && !/s_down|disconnected/.test(fields.get('flags') ?? '');
    });
    if (!healthy) return false;
  }
  return true;
}

/**
 * Writes a marker on the primary and waits (Redis WAIT) until `replicas` replicas acknowledged everything
 * written so far, so a failover right after it cannot promote a replica that lacks earlier writes.
 */
export async function waitForReplication(primaryPort: number, replicas: number, timeoutMs = 5000): Promise<void> {
  const conn = new Redis({ host: '127.0.0.1', port: primaryPort, maxRetriesPerRequest: 0, retryStrategy: () => null });
  conn.on('error', () => {});
  try {
    await conn.set('ha-test:marker', String(Date.now()));
    const acked = Number(await conn.call('WAIT', String(replicas), String(timeoutMs)));
    if (acked < replicas) throw new Error(`only ${acked} of ${replicas} replicas acknowledged the writes within ${timeoutMs} ms`);
  } finally {
    conn.disconnect();
  }
}
