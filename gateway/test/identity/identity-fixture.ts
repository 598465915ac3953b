import { request } from 'node:https';
import { afterAll, beforeAll } from 'vitest';
import { hashPassword } from '../../src/auth/password.js';
import type { Role } from '../../src/auth/roles.js';
import { openAccounts, openOrgs } from '../../src/server/open-accounts.js';
import type { Organisation } from '../../src/org/organisation.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';

/** Cheap hashes for test accounts: the gateway reads the cost from the hash. */
const fast = { N: 2 ** 10, r: 8, p: 1 };

export interface JsonReply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test reads arbitrary JSON
  /** The cookie the reply sets (name=value), if any. */
  setCookie?: string;
}

/** One HTTPS request to the test gateway with a JSON body; `from` picks the loopback source address. */
export function httpJson(t: TestGateway, method: string, path: string, o: { token?: string; body?: unknown; from?: string; cookie?: string } = {}): Promise<JsonReply> {
  const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
  return new Promise((resolve, reject) => {
    const req = request(
      t.baseUrl + path,
      {
        method,
        ca: t.gateway.caPem,
        localAddress: o.from,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          ...(o.cookie ? { cookie: o.cookie } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, setCookie: res.headers['set-cookie']?.[0]?.split(';')[0] });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Accounts and organisation records written straight to the gateway's stores, as the operator would.
 * The gateway rereads the file stores at most once a second: write before the gateway first reads.
 */
export async function identityStores(t: TestGateway) {
  const accounts = await openAccounts(t.gateway.config);
  const orgs = await openOrgs(t.gateway.config);
  return {
    accounts,
    orgs,
    async addAccount(username: string, orgId: string, role: Role, teamId: string | null = null): Promise<string> {
      const password = `pw-${username}-${Math.random().toString(36).slice(2)}`;
      await accounts.create({ id: `id-${username}`, username, orgId, displayName: username, passwordHash: await hashPassword(password, fast), disabled: false, tokenEpoch: 0, createdAt: Date.now(), role, teamId });
      return password;
    },
    async org(orgId: string, change: (o: Organisation) => void): Promise<void> {
      await orgs.update(orgId, change, Date.now());
    },
    async close(): Promise<void> {
      await accounts.close();
      await orgs.close();
    },
  };
}

export type IdentityStores = Awaited<ReturnType<typeof identityStores>>;

/** A test gateway with its identity stores and the passwords of the accounts a test file writes. */
export interface IdentityGateway {
  t: TestGateway;
  stores: IdentityStores;
  /** Password by a name the test file chooses (`pw.admin`). */
  pw: Record<string, string>;
}

/**
 * Starts a test gateway with identity stores before the file's tests and stops both after them. `setup` runs
 * first: it writes the accounts and organisations before the gateway first reads its stores (it rereads the
 * files at most once a second). The fields of the returned object are set once the tests run.
 */
export function useIdentityGateway(setup: (g: IdentityGateway) => Promise<void>, options: Record<string, string> = {}): IdentityGateway {
  const g = { pw: {} } as IdentityGateway;
  beforeAll(async () => {
    g.t = await startTestGateway(options);
    g.stores = await identityStores(g.t);
    await setup(g);
  });
  afterAll(async () => {
    await g.stores?.close();
    await g.t?.stop();
  });
  return g;
}

export async function loginToken(t: TestGateway, username: string, password: string, from?: string): Promise<string> {
  const r = await httpJson(t, 'POST', '/v1/auth/login', { body: { username, password }, from });
  if (r.status !== 200 || !r.body.token) throw new Error(`login of ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}
