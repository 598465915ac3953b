import type { WebSocket } from 'uWebSockets.js';
import type { Role } from '../protocol/envelope.js';
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
   * (its messages are ignored); closed: the socket is gone.
   */
  phase: 'hello' | 'pending' | 'waiting' | 'paired' | 'closing' | 'closed';
  session: LocalSession | null;
  /** Technician identity once its token checked out. */
  technicianId?: string;
  technicianName?: string;
}

export type PartySocket = WebSocket<Party>;

export function newParty(role: Role, remoteIp: string, now: number): Party {
  return { role, remoteIp, connectedAt: now, phase: 'hello', session: null };
}
