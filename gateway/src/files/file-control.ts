import { channels } from '../../../protocol/channels.js';
import type { ErrorCode } from '../../../protocol/error-codes.js';
import { fileBaseName, fileDirectionOf, fileNameProblem, fileTransferProblem, type FileCancelReason } from '../../../protocol/file-transfer.js';
import type { ClientMessageOf, ServerMessage } from '../../../protocol/messages.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { LiveSession } from '../live/live-session.js';
import type { Participant } from '../live/participant.js';
import type { PartySocket } from '../relay/party.js';
import type { RelayContext } from '../relay/relay-context.js';
import type { FileOffer, FileStep } from './file-offers.js';

export type FileControlMessage = ClientMessageOf<'file-offer' | 'file-accept' | 'file-cancel' | 'file-done' | 'file-result'>;

/**
 * The file-transfer control messages of a participant (docs/protocol.md "Files"). The gateway decides before
 * anything reaches the receiver: the `files` grant, the organisation's policy (direction from the sender's role,
 * size ≤ maxBytes), a name that is no path and shows safely, and a free slot among the session's open offers.
 * Every refusal is an `error` frame and a `file-cancel` naming the offer, so the client knows which one failed.
 */
export function fileControl(ctx: RelayContext, ws: PartySocket, session: LiveSession, me: Participant, msg: FileControlMessage): void {
  const files = ctx.filesOf(session);
  const id = msg.id;
  const fail = (code: ErrorCode, message: string) => refuseFile(ctx, ws, id, code, message);
  switch (msg.type) {
    case 'file-offer': {
      if (me.role === 'system') return fail('E_FORBIDDEN', 'system participants do not send files');
      if (!session.grants.has('files')) return fail('E_NOT_GRANTED', 'the customer has not granted "files"');
      const direction = fileDirectionOf(me.role);
      const problem = fileTransferProblem(session.policy, direction, msg.size);
      if (problem) return fail(session.policy.fileTransfer.directions.includes(direction) ? 'E_FILE_TOO_LARGE' : 'E_FORBIDDEN', problem);
      const name = fileBaseName(msg.name);
      const nameProblem = fileNameProblem(name);
      if (nameProblem) return fail('E_BAD_MESSAGE', `file-offer: "name" ${nameProblem}`);
      const to = receiverOf(session, me, msg.to);
      if (!to) return fail('E_NO_SUCH_PARTICIPANT', me.role === 'customer' ? `${msg.to ?? 'no technician'} is not a technician in this session` : 'a technician sends files to the customer only');
      if (!to.conn) return fail('E_PEER_GONE', `${to.id} is not connected now; offer the file again when it is back`);
      const step = files.offer(id, me.id, to.id, name, msg.size);
      if (refusedStep(ctx, ws, session, id, step)) return;
      session.lastActivity = ctx.deps.now();
      // For the log (and the audit trail that reads it): who, to whom, how big; not the name (customer data).
      ctx.deps.log.info('session.file_offered', { guid: session.guid, id, from: me.id, to: to.id, direction, size: msg.size });
      const offer: ServerMessage = { v: 1, type: 'file-offer', id, name, size: msg.size, mime: msg.mime, from: me.id };
      ctx.sendControl(to.conn, offer);
      ctx.recordings.observe(session, offer); // a recording keeps the offer's metadata (docs/recording.md)
      return;
    }
    case 'file-accept': {
      const step = files.accept(me.id, id);
      if (refusedStep(ctx, ws, session, id, step)) return;
      tell(ctx, session, step.offer.from, { v: 1, type: 'file-accept', id, from: me.id });
      return;
    }
    case 'file-done': {
      const step = files.done(me.id, id);
      if (refusedStep(ctx, ws, session, id, step)) return;
      tell(ctx, session, step.offer.to, { v: 1, type: 'file-done', id, sha256: msg.sha256, from: me.id });
      return;
    }
    case 'file-result': {
      const step = files.result(me.id, id);
      if (refusedStep(ctx, ws, session, id, step)) return;
      ended(ctx, session, step.offer, msg.ok ? 'delivered' : 'checksum');
      tell(ctx, session, step.offer.from, { v: 1, type: 'file-result', id, ok: msg.ok, from: me.id });
      return;
    }
    case 'file-cancel': {
      const step = files.cancel(me.id, id);
      if (refusedStep(ctx, ws, session, id, step)) return;
      const other = step.offer.from === me.id ? step.offer.to : step.offer.from;
      const reason: FileCancelReason = msg.reason ?? (step.offer.to === me.id && step.offer.state === 'offered' ? 'refused' : 'cancelled');
      ended(ctx, session, step.offer, reason);
      tell(ctx, session, other, { v: 1, type: 'file-cancel', id, reason, from: me.id });
      return;
    }
  }
}

/**
 * A file chunk on channel 0x03 (the grant was checked by forward()): its receiver, or null after refusing it.
 * Only the offer's sender, only once accepted, never past the declared size; the chunk goes to that receiver
 * alone (not to every technician, as other bulk frames from the customer do).
 */
export function fileChunkReceiver(ctx: RelayContext, ws: PartySocket, session: LiveSession, senderId: string, offerId: number, dataBytes: number): Participant | null {
  if (offerId < 0) {
    ctx.counters.dropped.file_refused.inc();
    ctx.reject(ws, new GatewayError('E_BAD_MESSAGE', `a file chunk starts with its offer id (u32) after the channel byte ${channels.file.id}`), false);
    return null;
  }
  const step = ctx.filesOf(session).chunk(senderId, offerId, dataBytes);
  if (refusedStep(ctx, ws, session, offerId, step)) {
    ctx.counters.dropped.file_refused.inc();
    return null;
  }
  const receiver = session.participants.get(step.offer.to);
  if (!receiver?.conn) {
    closeOffers(ctx, session, ctx.filesOf(session).closeAll(step.offer.to), 'left');
    return null;
  }
  return receiver;
}

/** Tells both sides of each closed offer that the gateway stopped it (no `from`: nobody in the session did). */
export function closeOffers(ctx: Pick<RelayContext, 'sendControl' | 'deps' | 'recordings'>, session: LiveSession, closed: readonly FileOffer[], reason: FileCancelReason): void {
  for (const offer of closed) {
    ended(ctx, session, offer, reason);
    const msg: ServerMessage = { v: 1, type: 'file-cancel', id: offer.id, reason };
    tell(ctx, session, offer.from, msg);
    tell(ctx, session, offer.to, msg);
  }
}

/** Refuses a step the rules did not allow; a transfer it ended (past or short of its size) is over for the receiver too. */
function refusedStep(ctx: RelayContext, ws: PartySocket, session: LiveSession, id: number, step: FileStep): step is Extract<FileStep, { ok: false }> {
  if (step.ok) return false;
  if (step.closed) {
    ended(ctx, session, step.closed, 'size');
    tell(ctx, session, step.closed.to, { v: 1, type: 'file-cancel', id, reason: 'size' });
  }
  refuseFile(ctx, ws, id, step.code, step.message);
  return true;
}

/** The error frame, and a file-cancel that names the offer it was about. */
function refuseFile(ctx: RelayContext, ws: PartySocket, id: number, code: ErrorCode, message: string): void {
  ctx.reject(ws, new GatewayError(code, message), false);
  const reason: FileCancelReason = code === 'E_FILE_SIZE_MISMATCH' ? 'size' : code === 'E_FORBIDDEN' || code === 'E_FILE_TOO_LARGE' || code === 'E_NOT_GRANTED' ? 'policy' : 'failed';
  ctx.sendControl(ws, { v: 1, type: 'file-cancel', id, reason, code, message });
}

function ended(ctx: Pick<RelayContext, 'deps'>, session: LiveSession, offer: FileOffer, outcome: FileCancelReason | 'delivered'): void {
  ctx.deps.log.info('session.file_ended', { guid: session.guid, id: offer.id, from: offer.from, to: offer.to, outcome, bytes: offer.relayed, size: offer.size });
}

function tell(ctx: Pick<RelayContext, 'sendControl' | 'recordings'>, session: LiveSession, participantId: string, msg: ServerMessage): void {
  const conn = session.participants.get(participantId)?.conn;
  if (conn) ctx.sendControl(conn, msg);
  ctx.recordings.observe(session, msg);
}

/** A technician's file goes to the customer; the customer's to `to`, else the technician holding control (or the first). */
function receiverOf(session: LiveSession, me: Participant, to: string | undefined): Participant | undefined {
  if (me.role !== 'customer') return session.customer;
  const target = to !== undefined ? session.participants.get(to) : ((session.controller ? session.participants.get(session.controller) : undefined) ?? session.technicians()[0]);
  return target?.role === 'technician' ? target : undefined;
}
