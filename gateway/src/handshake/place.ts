import type { ServerMessage } from '../../../protocol/messages.js';
import { GatewayError, errorCodes } from '../errors/gateway-error.js';
import type { LiveSession } from '../live/live-session.js';
import { newResumeToken } from '../live/resume-token.js';
import type { Party, PartySocket } from '../relay/party.js';
import type { Placement, RelayContext } from '../relay/relay-context.js';
import { unattendedFor } from './unattended.js';

/**
 * Puts a connection (local, or remote over a link) into its place in a session this gateway runs: a new
 * participant (pickup, attend) or one resuming. Every placement hands the participant a fresh resume token.
 * When the session first has both a customer and a technician, it is paired: everyone is told "active".
 */
export function place(ctx: RelayContext, session: LiveSession, ws: PartySocket, party: Party, placement: Placement): void {
  const { now } = ctx.deps;
  // A pickup's seat was written with the claim; it holds unless someone took its id since (then a fresh one).
  const seat = placement.how !== 'resume' && placement.seat && !session.participants.has(placement.seat.id) ? placement.seat : undefined;
  const token = seat?.token ?? newResumeToken();
  let participantId: string;
  if (placement.how === 'resume') {
    participantId = placement.participantId;
    const participant = session.participants.get(participantId);
    if (!participant) return ctx.reject(ws, new GatewayError('E_SESSION_NOT_FOUND'), true);
    const stale = participant.conn;
    if (stale && stale !== ws) {
      // The connection this resume replaces (it did not answer, or is carried by another gateway).
      stale.getUserData().session = null;
      ctx.closeParty(stale, errorCodes.E_REPLACED.close, 'E_REPLACED');
    }
    session.apply({ kind: 'back', id: participantId, conn: ws, address: party.remoteIp, resumeHash: token.hash });
  } else {
    const added = session.apply({ kind: 'add', role: party.role, name: placement.name, technicianId: placement.technicianId, tokenId: placement.tokenId, conn: ws, address: party.remoteIp, how: placement.how, resumeHash: token.hash, ...(seat ? { id: seat.id, recorded: true } : {}) });
    if (!added.ok) return ctx.reject(ws, new GatewayError(added.code, added.message), true);
    participantId = added.participant!.id;
  }
  party.session = session;
  party.participantId = participantId;
  party.phase = session.everPaired || session.paired ? 'paired' : 'waiting';
  session.lastActivity = now();
  const primary = session.technicians()[0]?.name;
  const state: ServerMessage = session.everPaired || session.paired
    ? { v: 1, type: 'state', state: 'active', guid: session.guid, customerName: session.customerName, technician: primary, resumeToken: token.token, you: participantId, policy: session.policy, ...unattendedFor(session, party.role) }
    : { v: 1, type: 'state', state: 'waiting', guid: session.guid, expiresAt: session.expiresAt, resumeToken: token.token, you: participantId };
  ctx.answer(ws, state);
  const bulk = ctx.bulkOf(session);
  if (!session.everPaired && session.paired) {
    session.everPaired = true;
    session.pairedAt = now();
    for (const p of session.participants.values()) {
      if (!p.conn || p.conn === ws) continue;
      p.conn.getUserData().phase = 'paired';
      ctx.send(p.conn, { v: 1, type: 'state', state: 'active', guid: session.guid, customerName: session.customerName, technician: primary, you: p.id, policy: session.policy, ...unattendedFor(session, p.role) });
      bulk.startSender(p.id);
    }
    ctx.deps.metrics.pairingSeconds.observe((now() - session.joinedAt) / 1000);
  }
  ctx.send(ws, { v: 1, type: 'grants', powers: [...session.grants] });
  if (session.everPaired) bulk.startSender(participantId);
  bulk.restartReceiver(participantId);
  if (placement.how === 'resume' && session.everPaired) {
    if (!session.paired) ctx.send(ws, { v: 1, type: 'peer', state: 'reconnecting' });
    else ctx.send(ws, { v: 1, type: 'peer', state: 'back' });
  }
  // A viewer that joined late or lost its picture while away gets a repair: the screen module follows the
  // session's events (screen/session-screens.ts).
}
