import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayError } from '../errors/gateway-error.js';
import type { AccountStore, TechnicianAccount } from './account-store.js';

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

/** A lock older than this is left over from a crashed writer (a write takes milliseconds). */
const staleLockMs = 10_000;

/**
 * Accounts in one JSON file in the data folder: the embedded default.
 *
 * The gateway only reads; the admin CLI, a separate process, writes. Every read stats the file and re-reads
 * it when inode, size or mtime changed, so CLI changes (disable, reset) apply without a restart at the cost
 * of one stat() per read. Writes go to a temp file that is fsynced and renamed over the old one, so a reader
 * never sees half a file and a crash leaves either the old or the new version; the rename also gives every
 * version a new inode, which makes the change check reliable even within one mtime tick.
 * Writers (CLI runs, tests) are serialised by an O_EXCL lock file beside the data file.
 */
export class FileAccountStore implements AccountStore {
  readonly file: string;
  readonly #dataDir: string;
  readonly #lockTimeoutMs: number;
  #cache: { signature: string; accounts: TechnicianAccount[]; checkedAt: number } | null = null;
  readonly #recheckMs: number;
  /** Serialises writes within this process; the lock file does it across processes. */
  #writes: Promise<unknown> = Promise.resolve();

  constructor(options: FileAccountStoreOptions) {
    if (!options.dataDir) throw new Error('FileAccountStore: dataDir is required');
    this.#dataDir = options.dataDir;
    this.file = join(options.dataDir, 'technicians.json');
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 5_000;
    this.#recheckMs = options.recheckMs ?? 0;
  }

  async create(account: TechnicianAccount): Promise<void> {
    await this.#mutate((accounts) => {
      if (accounts.some((a) => a.username === account.username)) {
        throw new GatewayError('E_BAD_REQUEST', `username ${account.username} is taken`);
      }
      if (accounts.some((a) => a.id === account.id)) throw new GatewayError('E_BAD_REQUEST', `account id ${account.id} exists`);
      accounts.push({ ...account });
    });
  }

  async getByUsername(username: string): Promise<TechnicianAccount | null> {
    const found = (await this.#load()).find((a) => a.username === username);
    return found ? { ...found } : null;
  }

  async getById(id: string): Promise<TechnicianAccount | null> {
    const found = (await this.#load()).find((a) => a.id === id);
    return found ? { ...found } : null;
  }

  async list(): Promise<TechnicianAccount[]> {
    return (await this.#load()).map((a) => ({ ...a })).sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  }

  async update(id: string, patch: Partial<Omit<TechnicianAccount, 'id' | 'createdAt'>>): Promise<TechnicianAccount> {
    return this.#mutate((accounts) => {
      const i = accounts.findIndex((a) => a.id === id);
      const current = accounts[i];
      if (!current) throw new GatewayError('E_BAD_REQUEST', `no account with id ${id}`);
      if (patch.username !== undefined && patch.username !== current.username && accounts.some((a) => a.username === patch.username)) {
        throw new GatewayError('E_BAD_REQUEST', `username ${patch.username} is taken`);
      }
      const next: TechnicianAccount = { ...current, ...patch, id: current.id, createdAt: current.createdAt };
      accounts[i] = next;
      return { ...next };
    });
  }

  async close(): Promise<void> {
    await this.#writes.catch(() => {});
  }

  /** The accounts as on disk now; the cached array when the file has not changed since the last read. */
  async #load(fresh = false): Promise<TechnicianAccount[]> {
    const now = Date.now();
    if (!fresh && this.#cache && now - this.#cache.checkedAt < this.#recheckMs) return this.#cache.accounts;
    let signature: string;
    try {
      const s = await stat(this.file, { bigint: true });
      signature = `${s.ino}:${s.size}:${s.mtimeNs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#cache = { signature: 'absent', accounts: [], checkedAt: now };
        return this.#cache.accounts;
      }
      throw err;
    }
    if (this.#cache?.signature === signature) {
      this.#cache.checkedAt = now;
      return this.#cache.accounts;
    }
    const accounts = parseAccountsFile(await readFile(this.file, 'utf8'), this.file);
    this.#cache = { signature, accounts, checkedAt: now };
    return accounts;
  }

  #mutate<T>(change: (accounts: TechnicianAccount[]) => T): Promise<T> {
    const run = async (): Promise<T> => {
      await mkdir(this.#dataDir, { recursive: true, mode: 0o700 });
      const release = await this.#lock();
      try {
        // A writer always reads the file as it is now (under the lock), never the throttled cache.
        const accounts = (await this.#load(true)).map((a) => ({ ...a }));
        const result = change(accounts);
        await this.#write(accounts);
        this.#cache = null; // our own change is visible to our next read at once
        return result;
      } finally {
        await release();
      }
    };
    const p = this.#writes.then(run, run);
    this.#writes = p.catch(() => {});
    return p;
  }

  async #write(accounts: TechnicianAccount[]): Promise<void> {
    const body: FileFormat = { version: 1, accounts };
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(JSON.stringify(body, null, 2) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, this.file);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
    // Make the rename itself durable; not every platform can fsync a directory, so this is best effort.
    const dir = await open(this.#dataDir, 'r').catch(() => null);
    await dir?.sync().catch(() => {});
    await dir?.close();
  }

  async #lock(): Promise<() => Promise<void>> {
    const lockFile = `${this.file}.lock`;
    const deadline = Date.now() + this.#lockTimeoutMs;
    for (;;) {
      try {
        const fh = await open(lockFile, 'wx', 0o600);
        await fh.writeFile(String(process.pid));
        await fh.close();
        return () => unlink(lockFile).catch(() => {});
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const held = await stat(lockFile).catch(() => null);
      if (held && Date.now() - held.mtimeMs > staleLockMs) {
        await unlink(lockFile).catch(() => {});
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lockFile} is held by another writer; remove it if no admin command is running`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** Parses and checks the file; a damaged file is an operator problem, reported loudly with its path. */
export function parseAccountsFile(text: string, path: string): TechnicianAccount[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const body = data as Partial<FileFormat> | null;
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
      typeof a.createdAt === 'number';
    if (!ok) throw new Error(`${path}: account #${i} is missing fields or has wrong types`);
  }
  return body.accounts;
}
