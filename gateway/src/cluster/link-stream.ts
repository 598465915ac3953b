import { FRAME_HEADER_BYTES, FrameType, encodeClose, encodeFrame } from './link-frames.js';

/** What a gateway asks the session's anchor gateway when it opens a stream for one of its parties. */
export interface OpenRequest {
  guid: string;
  orgId: string;
  role: 'customer' | 'technician';
  /** false: a technician's first pickup; true: a party resuming after a lost connection. */
  resume: boolean;
  technicianId?: string;
  technicianName?: string;
}

export interface StreamHandlers {
  text(text: string): void;
  binary(bytes: Buffer): void;
  close(code: number, reason: string): void;
}

/** The part of a link connection a stream writes through. */
export interface StreamWriter {
  write(frame: Buffer): void;
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
    const frame = encodeFrame(FrameType.TEXT, this.id, text);
    this.inflight += frame.byteLength - FRAME_HEADER_BYTES;
    this.writer.write(frame);
  }

  sendBinary(bytes: Uint8Array): void {
    if (this.closed) return;
    this.inflight += bytes.byteLength;
    this.writer.write(encodeFrame(FrameType.BINARY, this.id, bytes));
  }

  /** Ends the stream from this side; the peer's handlers get `close(code, reason)`. Safe to call twice. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.write(encodeClose(this.id, code, reason));
    this.writer.forget(this.id);
  }

  // ---- called by the connection ----

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
