/**
 * Files between the customer and the technicians, on the agent's side. The customer is asked about every
 * incoming file (a prompt, like a power request) and it is saved in the downloads directory (downloads.ts);
 * the customer can send a file too. The agent applies the `files` grant and the organisation's policy itself
 * (direction, size): a direct path does not pass the gateway, which checks the same rules on the relay.
 */
import { fileTransferProblem } from '../../protocol/file-transfer.js';
import type { SessionPolicyView } from '../../protocol/messages.js';
import { Emitter } from '../sdk/src/emitter.js';
import { FileTransfers, describeSize, fileSource, nodeSha256, type FileInfo, type FileOutcome, type IncomingFile, type OutgoingFile, type SessionConnection } from '../sdk/src/node.js';
import { openDownload } from './downloads.js';

export type FileSession = Pick<SessionConnection, 'on' | 'fileControl' | 'sendBulk'> & { readonly policy: SessionPolicyView | null };

/** An incoming file waiting for the customer's answer. */
export interface FilePrompt {
  id: number;
  /** Who offers it (the technician's name). */
  from: string;
  name: string;
  size: number;
}

export type FileExchangeEvents = {
  prompt: [FilePrompt];
  notice: [string];
};

export interface FileExchangeOptions {
  /** The real path of the downloads directory (downloads.ts downloadsDirectory). */
  downloadsDir: string;
  /** Whether the customer's `files` grant stands now (the agent's consent). */
  granted: () => boolean;
  /** A participant id's display name. */
  nameOf: (participantId: string) => string;
}

export class FileExchange extends Emitter<FileExchangeEvents> {
  private readonly files: FileTransfers;
  /** Numbered for the customer's commands (/accept N, /cancel N), in both directions. */
  private readonly numbered = new Map<number, IncomingFile | OutgoingFile>();
  private next = 1;

  constructor(
    private readonly conn: FileSession,
    private readonly options: FileExchangeOptions,
  ) {
    super();
    this.files = new FileTransfers(conn, { checkOffer: (info) => this.problemWith(info), hash: nodeSha256 });
    this.files.on('offer', (file) => this.offered(file));
  }

  /** Why an incoming offer is refused here before the customer is asked, or null. */
  private problemWith(info: FileInfo): string | null {
    if (!this.options.granted()) return 'you have not granted "files"';
    return this.conn.policy ? fileTransferProblem(this.conn.policy, 'to-customer', info.size) : null;
  }

  private offered(file: IncomingFile): void {
    const id = this.number(file);
    this.emit('prompt', { id, from: this.options.nameOf(file.info.peer), name: file.info.name, size: file.info.size });
  }

  /** The customer takes file N: it is saved in the downloads directory under a safe, new name. */
  accept(id: number): void {
    const file = this.numbered.get(id);
    if (!file || file.direction !== 'in' || file.accepted || file.outcome) return this.emit('notice', `no file ${id} waits for an answer`);
    let download;
    try {
      download = openDownload(this.options.downloadsDir, file.info.name);
    } catch (err) {
      file.refuse();
      return this.emit('notice', `file ${id} refused: ${(err as Error).message}`);
    }
    file.accept(download);
    this.emit('notice', `receiving file ${id} "${download.name}" (${describeSize(file.info.size)}); /cancel ${id} stops it`);
    void file.done.then((o) => this.emit('notice', o.ok ? `file ${id} saved as ${download.savedAs} (SHA-256 verified)` : `file ${id} not saved: ${why(o)}`));
  }

  decline(id: number): void {
    const file = this.numbered.get(id);
    if (!file || file.direction !== 'in' || file.accepted || file.outcome) return this.emit('notice', `no file ${id} waits for an answer`);
    file.refuse();
    this.emit('notice', `file ${id} refused`);
  }

  /** The customer sends a file from disk to the technician holding control. */
  async send(path: string): Promise<OutgoingFile | null> {
    if (!this.options.granted()) {
      this.emit('notice', 'to send a file, grant "files" first (/grant files)');
      return null;
    }
    let source;
    try {
      source = await fileSource(path);
    } catch (err) {
      this.emit('notice', `cannot send ${path}: ${(err as Error).message}`);
      return null;
    }
    const problem = this.conn.policy ? fileTransferProblem(this.conn.policy, 'from-customer', source.size) : null;
    if (problem) {
      await source.close?.();
      this.emit('notice', `cannot send ${path}: ${problem}`);
      return null;
    }
    const file = this.files.offer(source);
    const id = this.number(file);
    this.emit('notice', `file ${id} "${file.info.name}" (${describeSize(file.info.size)}) offered; /cancel ${id} withdraws it`);
    file.on('accepted', () => this.emit('notice', `file ${id} accepted by ${this.options.nameOf(file.info.peer)}; sending`));
    void file.done.then((o) => this.emit('notice', o.ok ? `file ${id} delivered (SHA-256 verified by the receiver)` : `file ${id} not delivered: ${why(o)}`));
    return file;
  }

  cancel(id: number): void {
    const file = this.numbered.get(id);
    if (!file || file.outcome) return this.emit('notice', `no file ${id} under way`);
    file.cancel();
  }

  /** `files` was revoked, or the session ended: every transfer stops now. */
  stopAll(): void {
    this.files.stopAll('revoked');
  }

  close(): void {
    this.files.close();
  }

  private number(file: IncomingFile | OutgoingFile): number {
    const id = this.next++;
    this.numbered.set(id, file);
    void file.done.then(() => this.numbered.delete(id));
    return id;
  }
}

function why(o: FileOutcome): string {
  if (o.ok) return 'ok';
  return o.error ? `${o.reason} (${o.error.code}: ${o.error.message})` : o.reason;
}
