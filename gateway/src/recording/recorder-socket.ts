import { channelById } from '../../../protocol/channels.js';
import { newParty, type Party, type PartySocket } from '../relay/party.js';
import type { RecordingFile } from './recording-file.js';
import { encodeRecord, type RecordingStart, type RecordingStop } from './recording-format.js';

/** uWS send() results, mirrored so the outbox treats the recorder like any socket. */
const SENT = 1;
const REFUSED = 2;

/**
 * The recorder's "connection": the session core writes to it exactly as to a viewer's socket (through the
 * outbox and a SocketWriter, so the same limits apply), and every message becomes a record in the file.
 * What it keeps: control messages (chat, participants, grants, requests, share state, file offers…; the text
 * of clipboard messages is left out, only who sent how much) and the screen and cursor channels. Bulk data
 * (file chunks, application data) is not kept; it is credited back at once so its sender is never held
 * back by the recorder. `end()` (the session core closing it) writes the stop record and closes the file.
 */
export class RecorderSocket implements PartySocket {
  readonly party: Party;
  private done = false;
  /** Why it stops, set by whoever stops it before the session core closes it; otherwise from the close. */
  stopReason: { reason: string; message?: string } | null = null;

  constructor(
    private readonly file: RecordingFile,
    private readonly startedAt: number,
    private readonly now: () => number,
    /** The recorder consumed `bytes` of bulk payload (they are not kept): give its sender the credit. */
    private readonly bulkConsumed: (bytes: number) => void,
    /** Called once, when the socket has been closed and the file is closing: with the reason it stopped. */
    private readonly onEnded: (socket: RecorderSocket, stop: RecordingStop) => void,
  ) {
    this.party = newParty('technician', 'gateway', now(), false, true);
  }

  getUserData(): Party {
    return this.party;
  }

  get open(): boolean {
    return !this.done;
  }

  /** The start record: first thing of its segment (the session's messages reach send() at the next flush). */
  start(info: RecordingStart): void {
    this.file.append(encodeRecord('start', 0, JSON.stringify(info)));
  }

  send(message: Uint8Array | ArrayBuffer | string, isBinary?: boolean): number {
    if (this.done || !this.file.ok) return REFUSED;
    const t = this.now() - this.startedAt;
    if (typeof message === 'string' || !isBinary) {
      const text = typeof message === 'string' ? message : Buffer.from(message instanceof Uint8Array ? message : new Uint8Array(message)).toString('utf8');
      this.file.append(encodeRecord('control', t, redacted(text)));
      return SENT;
    }
    const bytes = message instanceof Uint8Array ? message : new Uint8Array(message);
    if (channelById[bytes[0]!]?.class === 'bulk') {
      this.bulkConsumed(bytes.byteLength - 1);
      return SENT;
    }
    // encodeRecord copies: the outbox hands views of its arena, valid only during the flush.
    this.file.append(encodeRecord('binary', t, bytes));
    return SENT;
  }

  getBufferedAmount(): number {
    return this.file.queuedBytes;
  }

  /** The session core closed the recorder (stopped, session ended, too slow): last record, then the file closes. */
  end(code = 1000, reason = ''): void {
    if (this.done) return;
    this.done = true;
    this.party.phase = 'closed';
    const stop: RecordingStop = { ...(this.stopReason ?? stopFromClose(code, reason)), at: this.now() };
    this.file.append(encodeRecord('stop', stop.at - this.startedAt, JSON.stringify(stop)));
    void this.file.close();
    this.onEnded(this, stop);
  }
}

/** Clipboard contents are often secrets (passwords): a recording says that the clipboard moved, not what. */
function redacted(text: string): string {
  if (!text.includes('"type":"clipboard"')) return text;
  try {
    const m = JSON.parse(text) as { type?: string; text?: string; from?: string };
    if (m.type !== 'clipboard') return text;
    return JSON.stringify({ v: 1, type: 'clipboard', from: m.from, chars: typeof m.text === 'string' ? m.text.length : 0 });
  } catch {
    return text;
  }
}

function stopFromClose(code: number, reason: string): { reason: string; message?: string } {
  if (reason === 'E_SLOW_CONSUMER') return { reason: 'slow', message: 'the recordings disk did not keep up: more control messages waited than reliableQueueBytes' };
  if (code === 1000 && reason === 'recording stopped') return { reason: 'stopped' };
  return { reason: 'session_ended', message: reason || undefined };
}
