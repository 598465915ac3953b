/** The states of a session; `transition()` in session/transition.ts is the only place that changes them. */
export type SessionState = 'created' | 'waiting' | 'active' | 'closed' | 'expired';

export type CloseReason =
  | 'customer_ended'
  | 'technician_ended'
  | 'customer_left'
  | 'technician_left'
  | 'expired'
  | 'idle_timeout'
  | 'revoked'
  | 'slow_consumer'
  | 'gateway_shutdown'
  | 'protocol_error';

/** What the registry stores for one session. Plain JSON-safe data: it crosses Redis and gateway links. */
export interface SessionRecord {
  /** 128-bit CSPRNG value, 32 lowercase hex chars. */
  guid: string;
  /** Short numeric PIN, unique among live sessions. Released when the session is picked up or ends. */
  pin: string;
  orgId: string;
  /** Technician who created the session. */
  createdBy: string;
  state: SessionState;
  createdAt: number;
  /** Until pickup: when the unclaimed session expires. */
  expiresAt: number;
  customerName?: string;
  /** Technician who picked it up. */
  technicianId?: string;
  /** Gateway that holds the customer's connection (cluster hand-off needs it). */
  customerGateway?: string;
  closeReason?: CloseReason;
  updatedAt: number;
}
