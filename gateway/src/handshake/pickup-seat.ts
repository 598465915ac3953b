import { newResumeToken } from '../live/resume-token.js';
import type { LiveSession } from '../live/live-session.js';
import { toRecord } from '../live/participant.js';
import type { Seat } from '../relay/relay-context.js';
import type { SessionRecord } from '../session/session-record.js';

/**
 * A pickup at the gateway that runs the session: the technician's participant id and resume token are chosen
 * before the claim, so the claim's own compare-and-set stores everyone's place with it, resume-token hashes
 * included. That is one registry write per pickup instead of two (the copy live/session-copy.ts would write
 * after placing; docs/benchmarks.md counts them). A pickup bridged to another gateway is placed and copied there.
 * Call it right before the claim is sent, so no other change of the session can come in between.
 */
export function pickupSeat(session: LiveSession, technician: { name: string; technicianId: string; tokenId: string }): { seat: Seat; set: Pick<SessionRecord, 'participants' | 'grants' | 'controller'> } {
  const id = session.nextId('technician');
  const token = newResumeToken();
  const participants = [...session.participants.values()].map(toRecord);
  participants.push({ id, role: 'technician', name: technician.name, technicianId: technician.technicianId, tokenId: technician.tokenId, resumeHash: token.hash });
  // The technician who picks a session up holds control first (live-session.ts, add).
  return { seat: { id, token }, set: { participants, grants: [...session.grants], controller: session.controller ?? id } };
}
