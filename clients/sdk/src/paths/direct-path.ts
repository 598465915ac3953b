import type { LinkSnapshot } from './link-quality.js';

/**
 * A direct path between the two parties of a session, whatever carries it (TLS over TCP, a WebRTC data channel
 * over UDP). Messages are the session's binary messages: a channel byte, then the payload. The session moves
 * its traffic onto a path through this interface only, so the session core need not know how a path works.
 */
export type PathKind = 'relay' | 'tcp' | 'udp';

/** What happened to one message: as the session core's writer interface names it. */
export type SendResult = 'sent' | 'queued' | 'dropped';

export interface DirectPath {
  readonly kind: Exclude<PathKind, 'relay'>;
  /** Human-readable: which candidates connected (for logs and the technician's view). */
  readonly description: string;
  send(channel: number, payload: Uint8Array): SendResult;
  /** Bytes accepted but not yet on the wire: the sender's backpressure signal. */
  readonly bufferedAmount: number;
  onMessage(handler: (channel: number, payload: Uint8Array) => void): void;
  /** Called once when the path dies (peer gone, network lost, keep-alive timeout) or is closed. */
  onClose(handler: (reason: string) => void): void;
  /** Round-trip time of the last keep-alive, ms (undefined before the first). */
  readonly rttMs: number | undefined;
  /** Loss and smoothed RTT over the last keep-alive pings (what the path judge reads); absent: never judged. */
  quality?(): LinkSnapshot;
  close(reason?: string): void;
}

/** Largest message on a direct path (same bound as the relay's default maxMessageBytes). */
export const MAX_PATH_MESSAGE_BYTES = 1 << 20;
