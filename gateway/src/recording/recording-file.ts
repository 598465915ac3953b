import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileHeader } from './recording-format.js';

/** Records written to disk in one writev at most (bounds one call's size; the queue itself is bounded upstream). */
const MAX_BATCH = 256;

/**
 * One recording file, appended to from the event loop without waiting: `append` queues a record, a single
 * writer drains the queue with writev. `queuedBytes` is what waits in memory: the recorder's socket reports it
 * as its buffered amount, so the session core's writer limits apply (media is not accepted past the media
 * budget, control past the reliable cap disconnects the recorder): a slow disk costs pictures, never memory.
 * The first failure (open, write, sync) is reported once through `onError`; later appends are ignored.
 */
export class RecordingFile {
  queuedBytes = 0;
  private queue: Buffer[] = [];
  private handle: FileHandle | null = null;
  private pumping = false;
  private failed = false;
  private closed = false;
  private drained: (() => void) | null = null;
  private readonly opened: Promise<void>;

  constructor(
    readonly path: string,
    private readonly onError: (err: Error) => void,
    /** Opens only after this settles: the previous segment of the same file must be all written first. */
    after: Promise<void> = Promise.resolve(),
  ) {
    this.opened = after.then(() => this.open());
  }

  get ok(): boolean {
    return !this.failed && !this.closed;
  }

  /** Queues one encoded record. False once the file failed or was closed (nothing is queued then). */
  append(record: Buffer): boolean {
    if (!this.ok) return false;
    this.queue.push(record);
    this.queuedBytes += record.byteLength;
    if (this.handle && !this.pumping) void this.pump();
    return true;
  }

  /** Writes what is queued, flushes it to disk and closes. Safe to call twice; never rejects. */
  close(): Promise<void> {
    if (this.closed) return this.closing ?? Promise.resolve();
    this.closed = true;
    this.closing = (async () => {
      await this.opened;
      if (this.pumping) await new Promise<void>((r) => (this.drained = r));
      if (this.handle && !this.failed && this.queue.length > 0) await this.pump();
      const handle = this.handle;
      this.handle = null;
      if (!handle) return;
      try {
        if (!this.failed) await handle.datasync();
      } catch (err) {
        // A pipe or socket (an archiver reading the recording as it is made) has nothing to sync.
        const code = (err as { code?: string }).code;
        if (code !== 'EINVAL' && code !== 'ENOTSUP') this.fail(err);
      }
      await handle.close().catch(() => {});
    })();
    return this.closing;
  }

  private closing: Promise<void> | null = null;

  private async open(): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      // Append: a session recorded again (stopped and restarted, or continued after a move) adds a segment.
      const handle = await open(this.path, 'a', 0o600);
      // The header goes first; only then may append() start the writer (it does once `handle` is set).
      if ((await handle.stat()).size === 0) {
        const header = fileHeader();
        this.queue.unshift(header);
        this.queuedBytes += header.byteLength;
      }
      this.handle = handle;
      if (this.queue.length > 0) void this.pump();
    } catch (err) {
      this.fail(err);
    }
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.handle && !this.failed && this.queue.length > 0) {
        const batch = this.queue.length <= MAX_BATCH ? this.queue : this.queue.slice(0, MAX_BATCH);
        this.queue = this.queue.length <= MAX_BATCH ? [] : this.queue.slice(MAX_BATCH);
        let bytes = 0;
        for (const b of batch) bytes += b.byteLength;
        try {
          await writeAll(this.handle, batch, bytes);
        } finally {
          this.queuedBytes -= bytes;
        }
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.pumping = false;
      const done = this.drained;
      this.drained = null;
      done?.();
    }
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.onError(err instanceof Error ? err : new Error(String(err)));
  }
}

/** writev may write less than asked (a full disk part-way, a signal): go on from where it stopped. */
async function writeAll(handle: FileHandle, buffers: Buffer[], total: number): Promise<void> {
  let written = (await handle.writev(buffers)).bytesWritten;
  if (written === total) return;
  const rest = Buffer.concat(buffers).subarray(written);
  while (written < total) {
    const n = (await handle.write(rest, written - (total - rest.byteLength))).bytesWritten;
    if (n === 0) throw Object.assign(new Error('the disk accepted no more bytes'), { code: 'ENOSPC' });
    written += n;
  }
}
