import type { ParticipantInfo, Role } from '../../../protocol/messages.js';
import type { PartySocket } from '../relay/party.js';

/**
 * One member of a live session: the customer, a technician, or a system participant (a recorder). Lives as
 * long as its place in the session, across reconnections; `conn` is its current connection, if any.
 * Owned by the LiveSession (live-session.ts): only its apply() changes these fields.
 */
export interface Participant {
  /** Stable within the session and across gateways: "c1" for the customer, "t1", "t2"… technicians, "s1"… system. */
  readonly id: string;
  readonly role: Role;
  readonly name: string;
  /** Technicians: whose account this is (revocation ends its participation). */
  readonly technicianId?: string;
  /** Technicians: SHA-256 of the bearer token it came with, re-checked while it is in the session. */
  tokenId?: string;
  /** The connection it is on now; null while it is away (it may resume within the grace period). */
  conn: PartySocket | null;
  /** Since when it is away; null while connected. */
  lostAt: number | null;
  /** SHA-256 of its current resume token (rotated on every use); the token itself is never kept. */
  resumeHash?: string;
  /** Source address of its current connection, to tell the others when a resume comes from elsewhere. */
  address?: string;
  readonly since: number;
  /** How its traffic travels now: through the gateway, or on a direct path to the other side. */
  path: Path;
}

export type Path = 'relay' | 'tcp' | 'udp';

/** What the registry keeps of a participant, so another gateway can take the session over. */
export interface ParticipantRecord {
  id: string;
  role: Role;
  name: string;
  technicianId?: string;
  tokenId?: string;
  resumeHash?: string;
}

export function toRecord(p: Participant): ParticipantRecord {
  return { id: p.id, role: p.role, name: p.name, technicianId: p.technicianId, tokenId: p.tokenId, resumeHash: p.resumeHash };
}

export function toInfo(p: Participant): ParticipantInfo {
  return { id: p.id, role: p.role, name: p.name, path: p.path };
}

/** Ids are a role letter and a number, so they are short, stable and never secret. */
export function participantIdPrefix(role: Role): string {
  return role === 'customer' ? 'c' : role === 'technician' ? 't' : 's';
}
