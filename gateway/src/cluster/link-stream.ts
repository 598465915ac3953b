import type { SessionPolicy } from '../policy/org-policy.js';
import { FrameType, encodeClose, type FrameTypeId } from './link-frames.js';

/**
 * What a gateway asks the session's anchor gateway when it opens a stream: to carry one of its parties
 * (a technician picking up or attending, a participant resuming), or to run a command there (revoke, end,
 * a technician's access ended) and close the stream.
 */
export interface OpenRequest {
  guid: string;
  orgId: string;
  role: 'customer' | 'technician';
  mode: 'pickup' | 'attend' | 'resume' | 'command';
  /** resume: the participant (its token was checked against the registry by the asking gateway). */
  participantId?: string;
  technicianId?: string;
  technicianName?: string;
  /** SHA-256 of the technician's bearer token (pickup, attend), re-checked by the anchor while it is in the session. */
  tokenId?: string;
  /** The party's source address, so the anchor can tell the others when a resume comes from elsewhere. */
  address?: string;
  /** mode pickup: the session's policy (from the picked-up record), for the anchor to enforce. */
  policy?: SessionPolicy;
  /** mode command: what to do. */
  command?: { kind: 'end'; reason: 'revoked' } | { kind: 'end_technician'; technicianId: string } | { kind: 'end_token'; tokenId: string };
}

export interface StreamHandlers {
  text(text: string): void;
  binary(bytes: Buffer): void;
  close(code: number, reason: string): void;
}

/** The part of a link connection a stream writes through. */
export interface StreamWriter {
  write(frame: Buffer): void;
  /** Encodes a TEXT or BINARY frame into the link's batch (the bytes are copied); returns the payload's length. */
  writeFrame(type: FrameTypeId, stream: number, payload: Uint8Array | string): number;
  forget(streamId: number): void;
}

type Pending = { kind: 'text'; text: string } | { kind: 'binary'; bytes: Buffer } | { kind: 'close'; code: number; reason: string };

/**
 * One session's party across the gateway link. Flow control: `inflight` counts payload bytes sent and not yet
 * acknowledged; the relay treats it as this party's queue (relay/deliver.ts), so one busy session can hold at
 * most its window of the shared link and cannot stall the others.
 */
export class LinkStream {
  inflight = 0;
  closed = false;
  private handlers: StreamHandlers | null = null;
  /** Frames that arrived before the owner attached its handlers (an OPENED and the first state can share a read). */
  private early: Pending[] = [];

  constructor(
    readonly id: number,
    private readonly writer: StreamWriter,
  ) {}

  attach(handlers: StreamHandlers): void {
    this.handlers = handlers;
    const early = this.early;
    this.early = [];
    for (const p of early) this.dispatch(p);
  }

  sendText(text: string): void {
    if (this.closed) return;
    this.inflight += this.writer.writeFrame(FrameType.TEXT, this.id, text);
  }

  /** `bytes` may be a buffer its owner reuses once this returns: the link copies it. */
  sendBinary(bytes: Uint8Array): void {
    if (this.closed) return;
    this.inflight += this.writer.writeFrame(FrameType.BINARY, this.id, bytes);
  }

  /** Ends the stream from this side; the peer's handlers get `close(code, reason)`. Safe to call twice. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.write(encodeClose(this.id, code, reason));
    this.writer.forget(this.id);
  }

  // ---- called by the connection ----

  /** A BINARY frame (the hot path: no Pending object per frame once attached). */
  receivedBinary(bytes: Buffer): void {
    if (this.handlers) this.handlers.binary(bytes);
    else this.early.push({ kind: 'binary', bytes });
  }

  received(p: Pending): void {
    if (p.kind === 'close') {
      if (this.closed) return;
      this.closed = true;
    }
    if (this.handlers) this.dispatch(p);
    else this.early.push(p);
  }

  acknowledged(bytes: number): void {
    this.inflight = Math.max(0, this.inflight - bytes);
  }

  private dispatch(p: Pending): void {
    const h = this.handlers!;
    if (p.kind === 'text') h.text(p.text);
    else if (p.kind === 'binary') h.binary(p.bytes);
    else h.close(p.code, p.reason);
  }
}
