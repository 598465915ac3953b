import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface JsonFileDocumentOptions<T> {
  /** The file; its folder is created (mode 0700) on the first write. */
  file: string;
  /** The value while the file does not exist. */
  empty: () => T;
  /** Parses and checks the text; throws an operator-readable Error naming the path when it is damaged. */
  parse: (text: string, path: string) => T;
  /** How long a writer waits for another writer's lock before giving up (ms). */
  lockTimeoutMs?: number;
  /** Reads within this many ms of the last look at the file use the cached value without a stat() (default 0). */
  recheckMs?: number;
}

/** A lock older than this is left over from a crashed writer (a write takes milliseconds). */
const staleLockMs = 10_000;

/**
 * One JSON document in the data folder that several processes share (the gateway reads, the admin CLI
 * writes): the machinery behind the file account store and the file organisation store.
 *
 * Every read stats the file and re-reads it when inode, size or mtime changed, so another process's change
 * applies without a restart. Writes go to a temp file that is fsynced and renamed over the old one, so a
 * reader never sees half a file and a crash leaves either the old or the new version; the rename also gives
 * every version a new inode, which makes the change check reliable even within one mtime tick.
 * Writers are serialised by an O_EXCL lock file beside the data file (and a promise chain within a process).
 */
export class JsonFileDocument<T> {
  readonly file: string;
  readonly #options: JsonFileDocumentOptions<T>;
  readonly #lockTimeoutMs: number;
  readonly #recheckMs: number;
  #cache: { signature: string; value: T; checkedAt: number } | null = null;
  /** The look at the file under way (with recheckMs): concurrent readers share it (a burst of token checks made one stat each). */
  #looking: Promise<T> | null = null;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(options: JsonFileDocumentOptions<T>) {
    this.file = options.file;
    this.#options = options;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 5_000;
    this.#recheckMs = options.recheckMs ?? 0;
  }

  /** The document as on disk now (or as cached within recheckMs). Callers must not mutate it: copy first. */
  async read(fresh = false): Promise<T> {
    if (!fresh && this.#cache && Date.now() - this.#cache.checkedAt < this.#recheckMs) return this.#cache.value;
    // Sharing a look is only right where reads may be up to recheckMs old anyway.
    if (fresh || this.#recheckMs === 0) return this.#look();
    this.#looking ??= this.#look().finally(() => (this.#looking = null));
    return this.#looking;
  }

  async #look(): Promise<T> {
    const now = Date.now();
    let signature: string;
    try {
      const s = await stat(this.file, { bigint: true });
      signature = `${s.ino}:${s.size}:${s.mtimeNs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#cache = { signature: 'absent', value: this.#options.empty(), checkedAt: now };
        return this.#cache.value;
      }
      throw err;
    }
    if (this.#cache?.signature === signature) {
      this.#cache.checkedAt = now;
      return this.#cache.value;
    }
    const value = this.#options.parse(await readFile(this.file, 'utf8'), this.file);
    this.#cache = { signature, value, checkedAt: now };
    return value;
  }

  /**
   * Runs `change` on a private deep copy of the current document (read under the lock) and writes the copy.
   * A change that throws writes nothing.
   */
  mutate<R>(change: (doc: T) => R): Promise<R> {
    const run = async (): Promise<R> => {
      await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
      const release = await this.#lock();
      try {
        // A writer always reads the file as it is now (under the lock), never the throttled cache.
        const doc = structuredClone(await this.read(true));
        const result = change(doc);
        await this.#write(doc);
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

  /** Waits for writes in flight. */
  async settle(): Promise<void> {
    await this.#writes.catch(() => {});
  }

  async #write(doc: T): Promise<void> {
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(JSON.stringify(doc, null, 2) + '\n');
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
    const dir = await open(dirname(this.file), 'r').catch(() => null);
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
      if (Date.now() > deadline) {
        throw new Error(`${lockFile} is held by another writer; remove it if no admin command is running (${basename(this.file)})`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** JSON.parse with the operator-readable error both file stores give for a damaged file. */
export function parseJsonFile(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}
