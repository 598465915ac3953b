import { join } from 'node:path';
import { GatewayError } from '../errors/gateway-error.js';
import { JsonFileDocument, parseJsonFile } from '../store/json-file-document.js';
import { migrateAccount, type AccountPatch, type AccountStore, type TechnicianAccount } from './account-store.js';
import { cachedCopy } from '../store/cached-copy.js';
import { isRole } from './roles.js';

export interface FileAccountStoreOptions {
  /** The gateway's data folder; accounts live in `<dataDir>/technicians.json`. */
  dataDir: string;
  /** How long a writer waits for another writer's lock before giving up (ms). */
  lockTimeoutMs?: number;
  /**
   * Reads within this many ms of the last look at the file use the cached accounts without a stat():
   * a stat per token check was the gateway's largest JavaScript cost under load (docs/benchmarks.md).
   * Changes by another process (the admin CLI) take effect within this time. Default 0 (every read checks);
   * the gateway uses 1000.
   */
  recheckMs?: number;
}

interface FileFormat {
  version: 1;
  accounts: TechnicianAccount[];
}

/**
 * Accounts in one JSON file in the data folder: the embedded default. The gateway only reads; the admin
 * CLI, a separate process, writes; store/json-file-document.ts makes that safe (atomic rename, lock file,
 * change detection by stat).
 */
export class FileAccountStore implements AccountStore {
  readonly file: string;
  readonly #doc: JsonFileDocument<FileFormat>;

  constructor(options: FileAccountStoreOptions) {
    if (!options.dataDir) throw new Error('FileAccountStore: dataDir is required');
    this.file = join(options.dataDir, 'technicians.json');
    this.#doc = new JsonFileDocument<FileFormat>({
      file: this.file,
      empty: () => ({ version: 1, accounts: [] }),
      parse: (text, path) => ({ version: 1, accounts: parseAccountsFile(text, path) }),
      lockTimeoutMs: options.lockTimeoutMs,
      recheckMs: options.recheckMs,
    });
  }

  async create(account: TechnicianAccount): Promise<void> {
    await this.#doc.mutate(({ accounts }) => {
      if (accounts.some((a) => a.username === account.username)) {
        throw new GatewayError('E_BAD_REQUEST', `username ${account.username} is taken`);
      }
      if (accounts.some((a) => a.id === account.id)) throw new GatewayError('E_BAD_REQUEST', `account id ${account.id} exists`);
      accounts.push(structuredClone(account));
    });
  }

  async getByUsername(username: string): Promise<TechnicianAccount | null> {
    const found = (await this.#doc.read()).accounts.find((a) => a.username === username);
    return found ? copyOut(found) : null;
  }

  async getById(id: string): Promise<TechnicianAccount | null> {
    const found = (await this.#doc.read()).accounts.find((a) => a.id === id);
    return found ? copyOut(found) : null;
  }

  async list(): Promise<TechnicianAccount[]> {
    return (await this.#doc.read()).accounts.map(copyOut).sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  }

  async update(id: string, patch: AccountPatch): Promise<TechnicianAccount> {
    return this.#doc.mutate(({ accounts }) => {
      const i = accounts.findIndex((a) => a.id === id);
      const current = accounts[i];
      if (!current) throw new GatewayError('E_BAD_REQUEST', `no account with id ${id}`);
      if (patch.username !== undefined && patch.username !== current.username && accounts.some((a) => a.username === patch.username)) {
        throw new GatewayError('E_BAD_REQUEST', `username ${patch.username} is taken`);
      }
      const next: TechnicianAccount = { ...current, ...structuredClone(patch), id: current.id, createdAt: current.createdAt };
      accounts[i] = next;
      return copyOut(next);
    });
  }

  async close(): Promise<void> {
    await this.#doc.settle();
  }
}

/** A private copy (the cached document is shared), migrated to the current shape. */
function copyOut(a: TechnicianAccount): TechnicianAccount {
  return migrateAccount(cachedCopy(a));
}

/** Parses and checks the file; a damaged file is an operator problem, reported loudly with its path. */
export function parseAccountsFile(text: string, path: string): TechnicianAccount[] {
  const body = parseJsonFile(text, path) as Partial<FileFormat> | null;
  if (!body || body.version !== 1 || !Array.isArray(body.accounts)) throw new Error(`${path}: expected {"version":1,"accounts":[…]}`);
  for (const [i, a] of body.accounts.entries()) {
    const ok =
      a &&
      typeof a.id === 'string' &&
      typeof a.username === 'string' &&
      typeof a.orgId === 'string' &&
      typeof a.displayName === 'string' &&
      typeof a.passwordHash === 'string' &&
      typeof a.disabled === 'boolean' &&
      Number.isInteger(a.tokenEpoch) &&
      typeof a.createdAt === 'number' &&
      (a.role === undefined || isRole(a.role)) &&
      (a.teamId === undefined || a.teamId === null || typeof a.teamId === 'string') &&
      (a.recoveryCodes === undefined || (Array.isArray(a.recoveryCodes) && a.recoveryCodes.every((c) => typeof c === 'string'))) &&
      (a.totp === undefined || a.totp === null || (typeof a.totp.secret === 'string' && typeof a.totp.confirmed === 'boolean'));
    if (!ok) throw new Error(`${path}: account #${i} is missing fields or has wrong types`);
  }
  return body.accounts;
}
