import type { Power } from '../../../protocol/channels.js';
import type { ParticipantRecord } from '../live/participant.js';
import type { SessionPolicy } from '../policy/org-policy.js';
import type { FormAnswer } from '../../../protocol/pre-session-form.js';

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
  | 'protocol_error'
  /** A party disconnected and did not resume within resumeGraceSeconds. */
  | 'resume_timeout'
  /** A technician left on purpose ("leave"); the session goes on while another technician remains. */
  | 'left'
  /** A technician's access ended (logout, disabled, password reset, tokens revoked). */
  | 'access_revoked'
  /** The session reached the longest duration its organisation's policy allows. */
  | 'time_limit';

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
  /** The customer's answers to the organisation's pre-session form (bounded: protocol/pre-session-form.ts). */
  form?: FormAnswer[];
  /** Technician who picked it up. */
  technicianId?: string;
  /**
   * The gateway that runs the session: where the customer waited, or the gateway that took it over after
   * that one died or drained (relay/resume.ts). Parties on other gateways reach it over the gateway link.
   */
  anchorGateway?: string;
  /** Powers the customer has granted; kept here so they survive a move to another gateway. */
  grants?: Power[];
  /**
   * Who is in the session, with the SHA-256 of each one's current resume token (the tokens themselves are
   * never stored), so a gateway that takes the session over knows everyone. Written by the anchor.
   */
  participants?: ParticipantRecord[];
  /** The participant id of the technician holding control. */
  controller?: string | null;
  /** The organisation's (and team's) policy when the session was picked up: what the anchor enforces. */
  policy?: SessionPolicy;
  /** The customer's agent joined saying nobody is at the machine (allowed by the organisation's policy). */
  unattended?: boolean;
  /** Technician's display name, for a gateway that takes the session over. */
  technicianName?: string;
  closeReason?: CloseReason;
  updatedAt: number;
}
