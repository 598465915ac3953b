import { channels } from '../../../../protocol/channels.js';
import {
  FILE_CHUNK_DATA_BYTES,
  FILE_CHUNK_HEADER_BYTES,
  MAX_FILE_OFFER_ID,
  fileBaseName,
  fileNameProblem,
  fileOfferIdAt,
  writeFileChunkHeader,
  type FileCancelReason,
} from '../../../../protocol/file-transfer.js';
import { Emitter } from '../emitter.js';
import { RelaydeskError } from '../errors.js';
import type { FileMessage, SessionConnection } from '../session-connection.js';
import { Sha256 } from './sha256.js';

/** What a file is read from: a Blob in a browser (blobSource), a file on disk in Node (node.ts fileSource), bytes (bytesSource). */
export interface FileSource {
  name: string;
  size: number;
  mime?: string;
  /** `length` bytes from `offset` (never past `size`); a short read fails the transfer. */
  read(offset: number, length: number): Promise<Uint8Array> | Uint8Array;
  close?(): void | Promise<void>;
}

/**
 * Where a received file goes. `write` is synchronous on purpose: the SDK returns bulk credit as soon as a chunk
 * was handed over, so a sink that kept chunks waiting behind slow asynchronous work would buffer without
 * bound. `finish(ok)`: every byte arrived and the checksum matched (ok), or the transfer stopped (not ok).
 */
export interface FileSink {
  write(chunk: Uint8Array): void;
  finish(ok: boolean): void | Promise<void>;
}

export interface FileInfo {
  id: number;
  name: string;
  size: number;
  mime?: string;
  /** The other side's participant id ('' for our offer until someone accepts it). */
  peer: string;
}

/** How a transfer ended: `ok` once the receiver verified the SHA-256; otherwise why it stopped. */
export type FileOutcome = { ok: true; sha256: string } | { ok: false; reason: FileCancelReason; error?: RelaydeskError };

type TransferEvents = { progress: [number, number]; accepted: []; end: [FileOutcome] };

/** One transfer, either way. `done` resolves when it ends (never rejects: a failure is an outcome). */
abstract class Transfer extends Emitter<TransferEvents> {
  /** File bytes sent or received so far. */
  bytes = 0;
  outcome: FileOutcome | null = null;
  readonly done: Promise<FileOutcome>;
  protected readonly hash: IncrementalHash;
  private settle!: (o: FileOutcome) => void;

  constructor(
    readonly info: FileInfo,
    protected readonly files: FileTransfers,
  ) {
    super();
    this.hash = files.newHash();
    this.done = new Promise((resolve) => (this.settle = resolve));
  }

  abstract readonly direction: 'in' | 'out';

  /** Stops the transfer (either side); the other side is told. */
  cancel(reason: FileCancelReason = 'cancelled', error?: RelaydeskError): void {
    if (this.outcome) return;
    this.files.send({ type: 'file-cancel', id: this.info.id, reason });
    void this.end({ ok: false, reason, error });
  }

  /** @internal */
  async end(outcome: FileOutcome): Promise<void> {
    if (this.outcome) return;
    this.outcome = outcome;
    this.files.forget(this);
    try {
      await this.cleanUp(outcome.ok);
    } catch (err) {
      // The file could not be closed or saved (disk full, no free name): not delivered after all.
      this.outcome = outcome = { ok: false, reason: 'failed', error: new RelaydeskError('E_FILE_WRITE', (err as Error).message) };
    }
    this.emit('end', outcome);
    this.settle(outcome);
  }

  protected abstract cleanUp(ok: boolean): Promise<void>;
}

/** A file we offer. Streams once the receiver accepts, within the bulk credit (one chunk waiting at most). */
export class OutgoingFile extends Transfer {
  readonly direction = 'out' as const;
  /** The SHA-256 sent with `file-done` (what the receiver's verdict is about). */
  sha256 = '';
  constructor(
    info: FileInfo,
    files: FileTransfers,
    private readonly source: FileSource,
  ) {
    super(info, files);
  }

  /** @internal The receiver accepted: send every byte, then the checksum. */
  async stream(conn: Pick<SessionConnection, 'sendBulk'>): Promise<void> {
    this.emit('accepted');
    const hash = this.hash;
    const { id, size } = this.info;
    try {
      while (this.bytes < size && !this.outcome) {
        const length = Math.min(FILE_CHUNK_DATA_BYTES, size - this.bytes);
        const data = await this.source.read(this.bytes, length);
        if (data.byteLength !== length) throw new RelaydeskError('E_FILE_READ', `read ${data.byteLength} bytes at ${this.bytes} of "${this.info.name}", expected ${length}`);
        if (this.outcome) return;
        hash.update(data);
        const frame = new Uint8Array(FILE_CHUNK_HEADER_BYTES + length);
        writeFileChunkHeader(frame, channels.file.id, id);
        frame.set(data, FILE_CHUNK_HEADER_BYTES);
        // Resolves once the frame went to the socket: waits while the receivers have not consumed a window.
        await conn.sendBulk(frame);
        if (this.outcome) return; // stopped while the frame waited for credit
        this.bytes += length;
        this.emit('progress', this.bytes, size);
      }
      if (this.outcome) return;
      this.sha256 = hash.hex();
      this.files.send({ type: 'file-done', id, sha256: this.sha256 });
    } catch (err) {
      this.cancel('failed', err instanceof RelaydeskError ? err : new RelaydeskError('E_FILE_READ', (err as Error).message));
    }
  }

  protected async cleanUp(): Promise<void> {
    await this.source.close?.();
  }
}

/** A file offered to us: `accept(sink)` or `refuse()`. */
export class IncomingFile extends Transfer {
  readonly direction = 'in' as const;
  private sink: FileSink | null = null;

  /** Take the file; its bytes go to `sink` as they arrive. */
  accept(sink: FileSink): void {
    if (this.outcome || this.sink) return;
    this.sink = sink;
    this.files.send({ type: 'file-accept', id: this.info.id });
  }

  refuse(): void {
    this.cancel('refused');
  }

  get accepted(): boolean {
    return this.sink !== null;
  }

  /** @internal One chunk's file bytes. More than the offer declared stops the transfer. */
  receive(data: Uint8Array): void {
    if (this.outcome || !this.sink) return;
    if (this.bytes + data.byteLength > this.info.size) return this.cancel('size');
    this.hash.update(data);
    try {
      this.sink.write(data);
    } catch (err) {
      this.cancel('failed', new RelaydeskError('E_FILE_WRITE', (err as Error).message));
      return;
    }
    this.bytes += data.byteLength;
    this.emit('progress', this.bytes, this.info.size);
  }

  /** @internal The sender's checksum: compare with ours, tell the sender, end. */
  complete(sha256: string): void {
    if (this.outcome || !this.sink) return;
    const mine = this.hash.hex();
    const ok = this.bytes === this.info.size && mine === sha256;
    // The verdict goes to the sender once the sink has the file for good (saving it may still fail).
    void this.end(ok ? { ok: true, sha256: mine } : { ok: false, reason: 'checksum' }).then(() => this.files.send({ type: 'file-result', id: this.info.id, ok: this.outcome!.ok }));
  }

  protected async cleanUp(ok: boolean): Promise<void> {
    await this.sink?.finish(ok);
  }
}

export type FileTransfersEvents = {
  /** A participant offers us a file: accept(sink) or refuse() it (an offer nobody listens for is refused). */
  offer: [IncomingFile];
};

/** SHA-256 as the transfers use it: fed piece by piece, read once. */
export interface IncrementalHash {
  update(data: Uint8Array): unknown;
  hex(): string;
}

export interface FileTransfersOptions {
  /**
   * SHA-256 for both directions. Default: the SDK's own (clients/sdk/src/files/sha256.ts, runs in browsers,
   * about 100 MB/s); in Node, node.ts's nodeSha256 (OpenSSL) is several times faster.
   */
  hash?: () => IncrementalHash;
  /**
   * The receiving side's own check of an offer before the application sees it (null: fine; else why not):
   * the agent checks its grant and the organisation's policy, because a direct path does not pass the gateway.
   */
  checkOffer?: (info: FileInfo) => string | null;
}

/**
 * File transfer over one session (docs/protocol.md "Files"): offers both ways, streaming within the bulk
 * credit, SHA-256 verified by the receiver, cancel from either side. Browser-safe (no Node APIs): Node reads
 * files through node.ts's fileSource. The gateway checks grant and policy; this class follows its answers.
 */
export class FileTransfers extends Emitter<FileTransfersEvents> {
  private readonly outgoing = new Map<number, OutgoingFile>();
  private readonly incoming = new Map<number, IncomingFile>();
  private readonly offs: (() => void)[];

  constructor(
    private readonly conn: Pick<SessionConnection, 'on' | 'fileControl' | 'sendBulk'>,
    private readonly options: FileTransfersOptions = {},
  ) {
    super();
    this.offs = [
      conn.on('file', (m) => this.onMessage(m)),
      conn.on('data', (channel, payload) => channel === channels.file.id && this.onChunk(payload)),
      // Bulk data in flight on a lost connection is not replayed: the gateway stops those transfers, and so do we.
      conn.on('reconnecting', () => this.stopAll('left')),
      conn.on('close', () => this.stopAll('left')),
    ];
  }

  /** Offers a file (to the customer from a technician; from the customer to `to`, default the technician holding control). */
  offer(source: FileSource, to?: string): OutgoingFile {
    const name = fileBaseName(source.name);
    const problem = fileNameProblem(name);
    if (problem) throw new RelaydeskError('E_BAD_MESSAGE', `file name ${problem}`);
    const id = this.freeId();
    const file = new OutgoingFile({ id, name, size: source.size, mime: source.mime, peer: to ?? '' }, this, source);
    this.outgoing.set(id, file);
    this.send({ type: 'file-offer', id, name, size: source.size, mime: source.mime, to });
    return file;
  }

  /** Transfers under way (either way). */
  get active(): (OutgoingFile | IncomingFile)[] {
    return [...this.outgoing.values(), ...this.incoming.values()];
  }

  /** Stops every transfer (the customer revoked `files`, or leaves). */
  stopAll(reason: FileCancelReason): void {
    for (const t of this.active) t.cancel(reason);
  }

  close(): void {
    this.stopAll('left');
    for (const off of this.offs) off();
  }

  /** @internal */
  newHash(): IncrementalHash {
    return this.options.hash?.() ?? new Sha256();
  }

  /** @internal */
  send(msg: { type: string } & Record<string, unknown>): void {
    this.conn.fileControl(msg);
  }

  /** @internal */
  forget(t: Transfer): void {
    if (t.direction === 'out') this.outgoing.delete(t.info.id);
    else this.incoming.delete(t.info.id);
  }

  private freeId(): number {
    for (;;) {
      const id = 1 + Math.floor(Math.random() * MAX_FILE_OFFER_ID);
      if (!this.outgoing.has(id) && !this.incoming.has(id)) return id;
    }
  }

  private onChunk(payload: Uint8Array): void {
    // `payload` is the frame after the channel byte: the offer id is its first 4 bytes.
    this.incoming.get(fileOfferIdAt(payload, 0))?.receive(payload.subarray(FILE_CHUNK_HEADER_BYTES - 1));
  }

  private onMessage(m: FileMessage): void {
    switch (m.type) {
      case 'file-offer': {
        const info: FileInfo = { id: m.id, name: fileBaseName(m.name), size: m.size, mime: m.mime, peer: m.from };
        const file = new IncomingFile(info, this);
        // Our own rules first (a hostile name, or what the agent's grant and policy say), then the application's.
        const problem = fileNameProblem(info.name) ?? this.options.checkOffer?.(info) ?? null;
        if (problem || this.incoming.has(m.id) || this.listenerCount('offer') === 0) {
          this.send({ type: 'file-cancel', id: m.id, reason: problem ? 'policy' : 'refused' });
          return;
        }
        this.incoming.set(m.id, file);
        this.emit('offer', file);
        return;
      }
      case 'file-accept': {
        const file = this.outgoing.get(m.id);
        if (!file || file.outcome || file.bytes > 0) return;
        file.info.peer = m.from;
        void file.stream(this.conn);
        return;
      }
      case 'file-done':
        this.incoming.get(m.id)?.complete(m.sha256);
        return;
      case 'file-result': {
        const file = this.outgoing.get(m.id);
        if (file) void file.end(m.ok ? { ok: true, sha256: file.sha256 } : { ok: false, reason: 'checksum' });
        return;
      }
      case 'file-cancel': {
        // A refusal of our own message (code) is about our offer first; a peer's cancel about the transfer it shares with us.
        const file = m.code ? (this.outgoing.get(m.id) ?? this.incoming.get(m.id)) : this.find(m.id, m.from);
        if (file) void file.end({ ok: false, reason: m.reason, error: m.code ? new RelaydeskError(m.code, m.message ?? m.code) : undefined });
        return;
      }
    }
  }

  private find(id: number, from: string | undefined): OutgoingFile | IncomingFile | undefined {
    const candidates = [this.outgoing.get(id), this.incoming.get(id)];
    return candidates.find((t) => t && (from === undefined || t.info.peer === '' || t.info.peer === from));
  }
}

