import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../src/auth/password.js';
import { loadConfig, type GatewayConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/log/logger.js';
import { startGateway, type RunningGateway } from '../src/server/gateway.js';
import { openAccounts } from '../src/server/open-accounts.js';
import { RelaydeskClient, nodeTransport } from '../../clients/sdk/src/node.js';

/** A controllable clock: starts at real time, moves only when told. */
export function manualClock(start = Date.now()) {
  let t = start;
  const now = () => t;
  return Object.assign(now, { advance: (ms: number) => void (t += ms) });
}

export interface TestGateway {
  gateway: RunningGateway;
  baseUrl: string;
  dataDir: string;
  /** Every JSON log line the gateway wrote. */
  logLines: string[];
  /** A client that trusts this gateway's CA. */
  client(options?: { localAddress?: string }): RelaydeskClient;
  /** Creates a technician directly in the account store; returns its password. */
  addTechnician(username: string, orgId: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts a real gateway on loopback (free ports, fresh data folder, real TLS) for end-to-end tests.
 * `options` are config options as they would be given on the command line (without the leading --).
 */
export async function startTestGateway(options: Record<string, string> = {}, deps: { now?: () => number } = {}): Promise<TestGateway> {
  const dataDir = await mkdtemp(join(tmpdir(), 'relaydesk-test-'));
  const argv = Object.entries({ host: '127.0.0.1', port: '0', adminPort: '0', linkHost: '127.0.0.1', linkPort: '0', linkAdvertise: '127.0.0.1', dataDir, logLevel: 'debug', ...options }).flatMap(([k, v]) => [
    '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()),
    v,
  ]);
  const config: GatewayConfig = loadConfig({ argv, env: {} });
  const logLines: string[] = [];
  const gateway = await startGateway(config, { log: createLogger({ level: 'debug', write: (l) => logLines.push(l) }), now: deps.now });
  const baseUrl = `https://127.0.0.1:${gateway.port}`;
  const transports: { close(): void }[] = [];
  // The store the gateway itself uses (a file in its data folder, or Redis), so accounts are seen cluster-wide.
  const accounts = await openAccounts(config);
  let stopped = false;
  return {
    gateway,
    baseUrl,
    dataDir,
    logLines,
    client(o = {}) {
      const t = nodeTransport({ baseUrl, ca: gateway.caPem, localAddress: o.localAddress });
      transports.push(t);
      return new RelaydeskClient(t, { handshakeTimeoutMs: 5000 });
    },
    async addTechnician(username, orgId) {
      const password = `pw-${username}-${Math.random().toString(36).slice(2)}`;
      await accounts.create({
        id: `t-${username}`,
        username,
        orgId,
        displayName: `Tech ${username}`,
        passwordHash: await hashPassword(password),
        disabled: false,
        tokenEpoch: 0,
        createdAt: Date.now(),
      });
      return password;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of transports) t.close();
      await gateway.stop(0);
      await accounts.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
