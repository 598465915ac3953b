import type { TLSSocket } from 'node:tls';
import { GatewayError, type ErrorCode } from '../errors/gateway-error.js';
import type { Logger } from '../log/logger.js';
import { LinkBatch } from './link-batch.js';
import { FrameError, FrameReader, FrameType, encodeFrame, type Frame, type FrameTypeId } from './link-frames.js';
import { LinkStream, type OpenRequest } from './link-stream.js';

export interface ConnectionHooks {
  selfId: string;
  maxFrameBytes: number;
  log: Logger;
  /** An OPEN from the peer: attach the stream to a session, or throw a GatewayError to refuse. */
  onOpen(stream: LinkStream, request: OpenRequest): Promise<void>;
  onHello(conn: LinkConnection): void;
  /** The TLS socket's buffer passed its high-water mark (socket.write returned false): counted once until it drains. */
  onBackpressure(conn: LinkConnection): void;
  onClosed(conn: LinkConnection): void;
}

const OPEN_TIMEOUT_MS = 5000;
/** What a stream's party sees when the link under it dies: reconnect, and the session resumes elsewhere. */
const LINK_LOST = { code: 4503, reason: 'E_RECONNECT' };

/**
 * One TLS connection to another gateway, carrying many streams. Both sides send HELLO with their gateway id,
 * which must equal the common name of the certificate the cluster CA issued them (checked here).
 */
export class LinkConnection {
  peerId: string | null = null;
  private readonly streams = new Map<number, LinkStream>();
  private readonly opening = new Map<number, { resolve(s: LinkStream): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  private readonly reader: FrameReader;
  private readonly batch: LinkBatch;
  /** Payload bytes consumed per stream in the current read, acknowledged at its end (reused). */
  private readonly consumed = new Map<number, number>();
  private readonly onFrameBound = (type: number, stream: number, payload: Buffer) => this.onFrame(type, stream, payload);
  private nextStreamId: number;
  private closed = false;
  /** The socket's buffer is past its high-water mark (until 'drain'). */
  private congested = false;

  constructor(
    private readonly socket: TLSSocket,
    dialer: boolean,
    private readonly hooks: ConnectionHooks,
  ) {
    this.reader = new FrameReader(hooks.maxFrameBytes);
    this.batch = new LinkBatch((chunk, written) => this.socketWrite(chunk, written));
    this.nextStreamId = dialer ? 1 : 2;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 5000);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => (this.congested = false));
    socket.on('error', (err) => hooks.log.warn('link.socket_error', { peer: this.peerId, err }));
    socket.on('close', () => this.onSocketClosed());
    this.write(encodeFrame(FrameType.HELLO, 0, JSON.stringify({ gatewayId: hooks.selfId })));
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Opens a stream for a session and waits for the peer's answer; rejects with its GatewayError. */
  open(request: OpenRequest): Promise<LinkStream> {
    if (this.closed) return Promise.reject(new GatewayError('E_PEER_GONE'));
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new LinkStream(id, this);
    this.streams.set(id, stream);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.opening.delete(id);
        this.streams.delete(id);
        reject(new GatewayError('E_PEER_GONE', 'the customer’s gateway did not answer in time'));
      }, OPEN_TIMEOUT_MS);
      this.opening.set(id, { resolve: () => resolve(stream), reject, timer });
      this.write(encodeFrame(FrameType.OPEN, id, JSON.stringify(request)));
    });
  }

  /**
   * What waits in this connection's socket is bounded by the streams' windows (each stream's unacknowledged
   * bytes count as its party's queue at the anchor; a bridging gateway drops media and closes a party past its
   * budget before writing here), so a full socket buffer is counted, not a reason to refuse a frame.
   */
  write(frame: Buffer): void {
    if (this.closed) return;
    this.batch.raw(frame);
  }

  writeFrame(type: FrameTypeId, stream: number, payload: Uint8Array | string): number {
    if (this.closed) return typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength;
    return this.batch.frame(type, stream, payload);
  }

  private socketWrite(chunk: Buffer, written: () => void): void {
    // Counted once per episode, not per write while full (per write it cost ~1.6 % of a bridging gateway's CPU).
    if (!this.socket.write(chunk, written) && !this.congested) {
      this.congested = true;
      this.hooks.onBackpressure(this);
    }
  }

  /** Bytes written to this link and not yet taken by the kernel (the batch of this loop turn included). */
  get queuedBytes(): number {
    return this.socket.writableLength + this.batch.pendingBytes;
  }

  forget(streamId: number): void {
    this.streams.delete(streamId);
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const consumed = this.consumed;
    try {
      this.reader.read(chunk, this.onFrameBound);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      consumed.clear();
      this.hooks.log.error('link.bad_frame', { peer: this.peerId, err });
      this.socket.destroy();
      return;
    }
    // One ACK per stream per read, not per frame.
    for (const [id, bytes] of consumed) if (this.streams.has(id)) this.writeFrame(FrameType.ACK, id, ackPayload(bytes));
    consumed.clear();
  }

  /** One frame of a read; false stops the read (the socket is being destroyed). */
  private onFrame(type: number, streamId: number, payload: Buffer): boolean {
    if (this.peerId === null && type !== FrameType.HELLO) {
      this.hooks.log.error('link.no_hello', { type });
      this.consumed.clear();
      this.socket.destroy();
      return false;
    }
    if (type === FrameType.BINARY) {
      // The hot path first: no Frame object, one Map lookup.
      const stream = this.streams.get(streamId);
      if (!stream) return true; // closed on our side meanwhile
      this.consumed.set(streamId, (this.consumed.get(streamId) ?? 0) + payload.byteLength);
      stream.receivedBinary(payload);
      return true;
    }
    this.dispatch({ type, stream: streamId, payload }, this.consumed);
    return true;
  }

  private dispatch(frame: Frame, consumed: Map<number, number>): void {
    const stream = this.streams.get(frame.stream);
    switch (frame.type) {
      case FrameType.HELLO:
        return this.hello(frame);
      case FrameType.OPEN:
        return this.peerOpened(frame);
      case FrameType.OPENED: {
        const waiting = this.opening.get(frame.stream);
        if (!waiting) return;
        this.opening.delete(frame.stream);
        clearTimeout(waiting.timer);
        const answer = JSON.parse(frame.payload.toString('utf8')) as { ok?: true; code?: ErrorCode };
        if (answer.ok) waiting.resolve(stream!);
        else {
          this.streams.delete(frame.stream);
          waiting.reject(new GatewayError(answer.code ?? 'E_PEER_GONE'));
        }
        return;
      }
      case FrameType.TEXT: // (BINARY: onFrame)
        if (!stream) return; // closed on our side meanwhile
        consumed.set(frame.stream, (consumed.get(frame.stream) ?? 0) + frame.payload.byteLength);
        stream.received({ kind: 'text', text: frame.payload.toString('utf8') });
        return;
      case FrameType.ACK:
        stream?.acknowledged(frame.payload.readUInt32BE(0));
        return;
      case FrameType.CLOSE:
        if (!stream) return;
        this.streams.delete(frame.stream);
        stream.received({ kind: 'close', code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString('utf8') });
        return;
      default:
        this.hooks.log.warn('link.unknown_frame', { peer: this.peerId, type: frame.type });
    }
  }

  private hello(frame: Frame): void {
    const { gatewayId } = JSON.parse(frame.payload.toString('utf8')) as { gatewayId?: string };
    const certName = this.socket.getPeerCertificate()?.subject?.CN;
    if (typeof gatewayId !== 'string' || gatewayId !== certName) {
      this.hooks.log.error('link.identity_mismatch', { claimed: gatewayId, certificate: certName });
      this.socket.destroy();
      return;
    }
    this.peerId = gatewayId;
    this.hooks.onHello(this);
  }

  private peerOpened(frame: Frame): void {
    const stream = new LinkStream(frame.stream, this);
    this.streams.set(frame.stream, stream);
    let request: OpenRequest;
    try {
      request = JSON.parse(frame.payload.toString('utf8')) as OpenRequest;
    } catch {
      this.streams.delete(frame.stream);
      this.write(encodeFrame(FrameType.OPENED, frame.stream, JSON.stringify({ code: 'E_BAD_MESSAGE' })));
      return;
    }
    this.hooks.onOpen(stream, request).then(
      () => this.write(encodeFrame(FrameType.OPENED, frame.stream, JSON.stringify({ ok: true }))),
      (err: unknown) => {
        this.streams.delete(frame.stream);
        const code = err instanceof GatewayError ? err.code : 'E_INTERNAL';
        this.write(encodeFrame(FrameType.OPENED, frame.stream, JSON.stringify({ code })));
      },
    );
  }

  private onSocketClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.batch.discard();
    for (const [, waiting] of this.opening) {
      clearTimeout(waiting.timer);
      waiting.reject(new GatewayError('E_PEER_GONE'));
    }
    this.opening.clear();
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const stream of streams) stream.received({ kind: 'close', code: LINK_LOST.code, reason: LINK_LOST.reason });
    this.hooks.onClosed(this);
  }
}

/** An ACK's payload: u32 bytes consumed (copied into the batch at once, so one scratch buffer serves all). */
const ackScratch = Buffer.alloc(4);
function ackPayload(bytes: number): Buffer {
  ackScratch.writeUInt32BE(bytes, 0);
  return ackScratch;
}
