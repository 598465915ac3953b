import type { ClientMessageOf } from '../../../protocol/messages.js';
import { GatewayError, asGatewayError } from '../errors/gateway-error.js';
import { newResumeToken } from '../live/resume-token.js';
import { refuseUnattendedUnlessAllowed } from './unattended.js';
import { isGone, type Party, type PartySocket } from '../relay/party.js';
import type { RelayContext } from '../relay/relay-context.js';
import type { SessionRecord } from '../session/session-record.js';
import { joinFormAnswers } from './join-form.js';

/** The session a join names (by PIN or GUID), if it can still be joined: `created` and not expired. */
async function joinableSession(ctx: RelayContext, ticket: { pin?: string; guid?: string }, now: number): Promise<SessionRecord | undefined> {
  const { registry } = ctx.deps;
  const record = ticket.pin !== undefined ? await registry.findSessionByPin(ticket.pin) : await registry.getSession(ticket.guid!);
  return record && record.state === 'created' && record.expiresAt > now ? record : undefined;
}

/** Records outlive expiresAt a little, so the gateway can still record the expiry (metric, log) itself. */
const EXPIRY_GRACE_MS = 60_000;

/**
 * A customer arrives with its PIN (or the session GUID): the session goes `created → waiting` here, this
 * gateway becomes its anchor, and the customer gets a resume token. From then on only that token (not the
 * PIN) brings the customer back after a lost connection.
 */
export async function join(ctx: RelayContext, ws: PartySocket, party: Party, msg: ClientMessageOf<'join'>): Promise<void> {
  party.phase = 'pending';
  const { lifecycle, pinGuard, now } = ctx.deps;
  try {
    const attempt = await pinGuard.reserve(party.remoteIp);
    // An unattended join (rare) and an organisation's pre-session form need the session before the claim, so a
    // refusal leaves it untouched; they share one lookup. Every other join claims in one call.
    let looked: Promise<SessionRecord | undefined> | undefined;
    const joinable = () => (looked ??= joinableSession(ctx, msg, now()));
    if (msg.unattended) await refuseUnattendedUnlessAllowed(ctx, await joinable(), () => void attempt.succeeded());
    const form = await joinFormAnswers(ctx.deps, joinable, msg);
    const resume = newResumeToken();
    const customer = { id: 'c1', role: 'customer' as const, name: msg.name, resumeHash: resume.hash };
    // The lookup (by PIN or GUID) and the claim are one registry call: only a session that is `created` and not
    // past its expiresAt becomes waiting, and of customers racing for one PIN one wins.
    const request = {
      reason: 'customer_joined' as const,
      from: ['created' as const],
      aliveAt: now(),
      set: { customerName: msg.name, form, anchorGateway: ctx.options.gatewayId, participants: [customer], controller: null, ...(msg.unattended ? { unattended: true } : {}) },
      ttlPastExpiresMs: EXPIRY_GRACE_MS,
    };
    const result = msg.pin !== undefined ? await lifecycle.transitionByPin(msg.pin, 'waiting', request) : await lifecycle.transition(msg.guid!, 'waiting', request);
    // Wrong, expired and used PINs get the same answer, so a guesser learns nothing about other sessions.
    if (!result.ok) throw new GatewayError('E_PIN_INVALID');
    const record = result.session;
    const guid = record.guid;
    void attempt.succeeded();
    if (isGone(party)) {
      ctx.background(lifecycle.transition(guid, 'closed', { reason: 'customer_left', from: ['waiting'] }));
      return;
    }
    const session = ctx.openSession(result.session);
    session.unattended = msg.unattended === true;
    session.apply({ kind: 'add', id: 'c1', role: 'customer', name: msg.name, conn: ws, address: party.remoteIp, how: 'join', resumeHash: resume.hash });
    party.session = session;
    party.participantId = 'c1';
    party.phase = 'waiting';
    ctx.send(ws, { v: 1, type: 'state', state: 'waiting', guid, expiresAt: record.expiresAt, resumeToken: resume.token, you: 'c1' });
  } catch (err) {
    ctx.reject(ws, asGatewayError(err), true);
  }
}
