import type { Role } from '../../../protocol/messages.js';
import type { LinkStream } from '../cluster/link-stream.js';
import type { Writer } from '../delivery/writer.js';
import type { LiveSession } from '../live/live-session.js';
import type { SocketQueue } from './outbox.js';
import type { CloseReason } from '../session/session-record.js';

/**
 * Per-connection state, stored as the uWS socket's user data. Owned by SessionRelay's handlers, which run
 * on the one event loop; `phase` guards against work that resumes after an await on a socket now closed.
 */
export interface Party {
  /** The endpoint it came in on; a participant's role in a session is the same. */
  role: Exclude<Role, 'system'>;
  remoteIp: string;
  connectedAt: number;
  /**
   * hello: connected, first message not yet handled; pending: a handshake is awaiting the registry;
   * waiting: customer waits for a technician; paired: in a live session; closing: a close is queued in the
   * outbox (its messages are ignored); closed: the socket is gone; bridged: its session runs on another
   * gateway: its frames pass through `bridge` and that gateway runs the session.
   */
  phase: 'hello' | 'pending' | 'waiting' | 'paired' | 'bridged' | 'closing' | 'closed';
  /** For a bridged party: the stream to the session's anchor gateway. */
  bridge?: LinkStream;
  /** True for a party on another gateway (cluster/remote-party-socket.ts): not a connection of ours. */
  remote?: boolean;
  /**
   * True for the gateway's own system participant (the recorder, gateway/src/recording/): no network
   * connection, on the technicians' side of routing (`role` is technician); its leaving never ends the session.
   */
  system: boolean;
  /** Why the party is leaving, when the other gateway said so (e.g. slow_consumer). */
  leaving?: CloseReason;
  session: LiveSession | null;
  /** Its place in `session`. */
  participantId?: string;
  /** Technician identity once its token checked out. */
  technicianId?: string;
  technicianName?: string;
  /**
   * Messages and pongs heard on this connection: a count, not a time, so the hot path pays an increment
   * instead of a Date.now() per message (two clock reads were 3.4 % of the gateway's CPU at 1 KiB relay).
   * A liveness probe compares it before and after its ping (handshake/resume.ts).
   */
  heard: number;
  /** Bytes queued in the outbox for this socket and not yet handed to it (delivery/socket-writer.ts). */
  pendingBytes: number;
  /** How the session core writes to it (set when the socket opens). */
  writer?: Writer;
  /** Owned by relay/outbox.ts: this socket's writes waiting for the next flush (made at its first write). */
  outq?: SocketQueue;
}

/**
 * What the relay needs of a party's connection: the subset of uWS's WebSocket it uses. A uWS socket is one;
 * a party on another gateway, reached over the gateway link (cluster/remote-party-socket.ts), is another.
 */
export interface PartySocket {
  getUserData(): Party;
  /** uWS semantics: 0 = queued (backpressure), 1 = written, 2 = refused (past maxBackpressure). */
  send(message: Uint8Array | ArrayBuffer | string, isBinary?: boolean): number;
  getBufferedAmount(): number;
  end(code?: number, reason?: string): void;
  /** uWS: run `cb` with writes batched into one TLS record / syscall. Absent for remote parties. */
  cork?(cb: () => void): unknown;
  /** uWS: a WebSocket ping (its pong counts in `heard`). Absent for remote parties. */
  ping?(): unknown;
}

/**
 * Every field present from the start, in one order, local or remote: all parties then share one hidden class,
 * so the hot path's property loads stay monomorphic (fields added later, in varying order, made them megamorphic:
 * V8's generic LoadIC was 4 % of the gateway's samples at 1 KiB relay).
 */
export function newParty(role: Party['role'], remoteIp: string, now: number, remote = false, system = false): Party {
  return {
    role,
    remoteIp,
    connectedAt: now,
    phase: 'hello',
    bridge: undefined,
    remote,
    leaving: undefined,
    session: null,
    participantId: undefined,
    technicianId: undefined,
    technicianName: undefined,
    heard: 0,
    pendingBytes: 0,
    writer: undefined,
    outq: undefined,
    system,
  };
}

/** Closed, or a close is queued. A function so tsc does not narrow `phase` away across an await. */
export function isGone(party: Party): boolean {
  return party.phase === 'closed' || party.phase === 'closing';
}
