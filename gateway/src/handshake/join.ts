import type { ClientMessageOf } from '../../../protocol/messages.js';
import { GatewayError, asGatewayError } from '../errors/gateway-error.js';
import { newResumeToken } from '../live/resume-token.js';
import { isGone, type Party, type PartySocket } from '../relay/party.js';
import type { RelayContext } from '../relay/relay-context.js';
import { formAnswersFor } from './join-form.js';

/** Records outlive expiresAt a little, so the gateway can still record the expiry (metric, log) itself. */
const EXPIRY_GRACE_MS = 60_000;

/**
 * A customer arrives with its PIN (or the session GUID): the session goes `created → waiting` here, this
 * gateway becomes its anchor, and the customer gets a resume token. From then on only that token (not the
 * PIN) brings the customer back after a lost connection.
 */
export async function join(ctx: RelayContext, ws: PartySocket, party: Party, msg: ClientMessageOf<'join'>): Promise<void> {
  party.phase = 'pending';
  const { lifecycle, registry, pinGuard, now } = ctx.deps;
  try {
    const attempt = await pinGuard.reserve(party.remoteIp);
    const record = msg.pin !== undefined ? await registry.findSessionByPin(msg.pin) : await registry.getSession(msg.guid!);
    const guid = record?.guid;
    // Wrong, expired and used PINs get the same answer, so a guesser learns nothing about other sessions.
    if (!guid || !record || record.state !== 'created' || record.expiresAt <= now()) {
      throw new GatewayError('E_PIN_INVALID');
    }
    const form = await formAnswersFor(ctx.deps.forms, record.orgId, msg.form);
    const resume = newResumeToken();
    const customer = { id: 'c1', role: 'customer' as const, name: msg.name, resumeHash: resume.hash };
    const result = await lifecycle.transition(guid, 'waiting', {
      reason: 'customer_joined',
      from: ['created'],
      set: { customerName: msg.name, form, anchorGateway: ctx.options.gatewayId, participants: [customer], controller: null },
      ttlMs: record.expiresAt - now() + EXPIRY_GRACE_MS,
    });
    if (!result.ok) throw new GatewayError('E_PIN_INVALID'); // another customer won the race for this PIN
    void attempt.succeeded();
    if (isGone(party)) {
      ctx.background(lifecycle.transition(guid, 'closed', { reason: 'customer_left', from: ['waiting'] }));
      return;
    }
    const session = ctx.openSession(result.session);
    session.apply({ kind: 'add', id: 'c1', role: 'customer', name: msg.name, conn: ws, address: party.remoteIp, how: 'join', resumeHash: resume.hash });
    party.session = session;
    party.participantId = 'c1';
    party.phase = 'waiting';
    ctx.send(ws, { v: 1, type: 'state', state: 'waiting', guid, expiresAt: record.expiresAt, resumeToken: resume.token, you: 'c1' });
  } catch (err) {
    ctx.reject(ws, asGatewayError(err), true);
  }
}
