import type { ErrorCode } from '../../../protocol/error-codes.js';
import { MAX_OPEN_FILE_OFFERS, type FileCancelReason } from '../../../protocol/file-transfer.js';

/** One file offer of a session, from its offer to the receiver's verdict (docs/protocol.md "Files"). */
export interface FileOffer {
  readonly id: number;
  /** Sender and receiver (participant ids). */
  readonly from: string;
  readonly to: string;
  readonly name: string;
  readonly size: number;
  /** offered: waits for the receiver; accepted: chunks flow; sent: all bytes and `file-done` passed, waits for `file-result`. */
  state: 'offered' | 'accepted' | 'sent';
  /** File bytes relayed so far (chunk payloads less their 4-byte offer id). */
  relayed: number;
}

/** `closed`: the offer this refusal ended (past or short of its declared size), whose receiver must be told. */
export type FileRefusal = { ok: false; code: ErrorCode; message: string; closed?: FileOffer };
export type FileStep = { ok: true; offer: FileOffer } | FileRefusal;

const refuse = (code: ErrorCode, message: string, closed?: FileOffer): FileRefusal => ({ ok: false, code, message, closed });

/**
 * The open file offers of one live session and the rules of their lifecycle. Pure bookkeeping (no sockets):
 * relay/ and files/file-control.ts turn its answers into messages. Offer ids are unique among a session's open
 * offers, so a chunk's id alone names its transfer. Owned by the session's anchor; runs on the event loop.
 */
export class FileOffers {
  private readonly open = new Map<number, FileOffer>();

  get size(): number {
    return this.open.size;
  }

  /** A new offer from `from` to `to`. The slot is taken here, before anything is relayed. */
  offer(id: number, from: string, to: string, name: string, size: number): FileStep {
    if (this.open.has(id)) return refuse('E_CONFLICT', `file offer ${id} is already open in this session; choose another id`);
    if (this.open.size >= MAX_OPEN_FILE_OFFERS) return refuse('E_FILE_LIMIT', `at most ${MAX_OPEN_FILE_OFFERS} file offers may be open in a session`);
    const offer: FileOffer = { id, from, to, name, size, state: 'offered', relayed: 0 };
    this.open.set(id, offer);
    return { ok: true, offer };
  }

  /** The receiver accepts: chunks may flow. */
  accept(by: string, id: number): FileStep {
    const offer = this.open.get(id);
    if (!offer || offer.to !== by) return unknown(id);
    if (offer.state !== 'offered') return refuse('E_BAD_MESSAGE', `file offer ${id} was already accepted`);
    offer.state = 'accepted';
    return { ok: true, offer };
  }

  /**
   * One chunk of `dataBytes` file bytes from `by`. Counts them; a chunk that would go past the declared size
   * closes the offer (nothing more of it is relayed) and is refused with E_FILE_SIZE_MISMATCH.
   */
  chunk(by: string, id: number, dataBytes: number): FileStep {
    const offer = this.open.get(id);
    if (!offer) return unknown(id);
    if (offer.from !== by || offer.state !== 'accepted') return refuse('E_FILE_NOT_ACCEPTED', `file offer ${id} is not an accepted offer of yours: chunks only after "file-accept"`);
    if (offer.relayed + dataBytes > offer.size) {
      this.open.delete(id);
      return refuse('E_FILE_SIZE_MISMATCH', `file offer ${id} declared ${offer.size} bytes; this chunk goes past that, so the transfer was stopped`, offer);
    }
    offer.relayed += dataBytes;
    return { ok: true, offer };
  }

  /** The sender says every byte was sent. Fewer bytes than declared close the offer (E_FILE_SIZE_MISMATCH). */
  done(by: string, id: number): FileStep {
    const offer = this.open.get(id);
    if (!offer || offer.from !== by) return unknown(id);
    if (offer.state !== 'accepted') return refuse('E_FILE_NOT_ACCEPTED', `file offer ${id} has not been accepted`);
    if (offer.relayed !== offer.size) {
      this.open.delete(id);
      return refuse('E_FILE_SIZE_MISMATCH', `file offer ${id} declared ${offer.size} bytes but ${offer.relayed} were sent; the transfer was stopped`, offer);
    }
    offer.state = 'sent';
    return { ok: true, offer };
  }

  /** The receiver's verdict on a sent file (checksum verified or not): the offer is over. */
  result(by: string, id: number): FileStep {
    const offer = this.open.get(id);
    if (!offer || offer.to !== by) return unknown(id);
    if (offer.state !== 'sent') return refuse('E_BAD_MESSAGE', `file offer ${id} has not been sent in full yet`);
    this.open.delete(id);
    return { ok: true, offer };
  }

  /** Either side stops (or the receiver refuses) an offer. */
  cancel(by: string, id: number): FileStep {
    const offer = this.open.get(id);
    if (!offer || (offer.from !== by && offer.to !== by)) return unknown(id);
    this.open.delete(id);
    return { ok: true, offer };
  }

  /** Closes every offer (`files` revoked), or those `participant` sends or receives (it left or lost its connection). */
  closeAll(participant?: string): FileOffer[] {
    const closed: FileOffer[] = [];
    for (const offer of this.open.values()) {
      if (participant !== undefined && offer.from !== participant && offer.to !== participant) continue;
      this.open.delete(offer.id);
      closed.push(offer);
    }
    return closed;
  }
}

/** A participant sees only its own offers: someone else's id is as unknown as one never offered. */
const unknown = (id: number): FileRefusal => refuse('E_FILE_UNKNOWN', `no open file offer ${id} of yours in this session`);

/** What the other side is told when the gateway closes an offer itself. */
export type GatewayCancelReason = Extract<FileCancelReason, 'size' | 'revoked' | 'left'>;
