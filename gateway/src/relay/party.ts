import type { Role } from '../protocol/envelope.js';
import type { LinkStream } from '../cluster/link-stream.js';
import type { CloseReason } from '../session/session-record.js';
import type { LocalSession } from './local-session.js';

/**
 * Per-connection state, stored as the uWS socket's user data. Owned by SessionRelay's handlers, which run
 * on the one event loop; `phase` guards against work that resumes after an await on a socket now closed.
 */
export interface Party {
  role: Role;
  remoteIp: string;
  connectedAt: number;
  /**
   * hello: connected, first message not yet handled; pending: a join/pickup is awaiting the registry;
   * waiting: customer waits for a technician; paired: relaying; closing: a close is queued in the outbox
   * (its messages are ignored); closed: the socket is gone; bridged: a technician here whose customer is on
   * another gateway: its frames pass through `bridge` and that gateway runs the session.
   */
  phase: 'hello' | 'pending' | 'waiting' | 'paired' | 'bridged' | 'closing' | 'closed';
  /** For a bridged technician: the stream to the customer's gateway. */
  bridge?: LinkStream;
  /** True for a party on another gateway (cluster/remote-party-socket.ts): not a connection of ours. */
  remote?: boolean;
  /** Why the party is leaving, when the other gateway said so (e.g. slow_consumer). */
  leaving?: CloseReason;
  session: LocalSession | null;
  /** Technician identity once its token checked out. */
  technicianId?: string;
  technicianName?: string;
}

/**
 * What the relay needs of a party's connection: the subset of uWS's WebSocket it uses. A uWS socket is one;
 * a party on another gateway, reached over the gateway link (cluster/link-socket.ts), is another.
 */
export interface PartySocket {
  getUserData(): Party;
  /** uWS semantics: 0 = queued (backpressure), 1 = written, 2 = refused (past maxBackpressure). */
  send(message: Uint8Array | ArrayBuffer | string, isBinary?: boolean): number;
  getBufferedAmount(): number;
  end(code?: number, reason?: string): void;
  /** uWS: run `cb` with writes batched into one TLS record / syscall. Absent for remote parties. */
  cork?(cb: () => void): unknown;
}

export function newParty(role: Role, remoteIp: string, now: number): Party {
  return { role, remoteIp, connectedAt: now, phase: 'hello', session: null };
}
