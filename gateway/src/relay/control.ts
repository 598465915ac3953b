import type { Power } from '../../../protocol/channels.js';
import type { ClientMessage, ServerMessage } from '../../../protocol/messages.js';
import { GatewayError } from '../errors/gateway-error.js';
import { fileControl } from '../files/file-control.js';
import { grantsAfterTransfer, mayRequestPower, mayUseDirectPath } from '../policy/org-policy.js';
import type { LiveSession } from '../live/live-session.js';
import type { Participant } from '../live/participant.js';
import type { Party, PartySocket } from './party.js';
import type { RelayContext } from './relay-context.js';
import { leavesRelay } from '../recording/relay-while-recording.js';

/** Powers exercised by the technician holding control (input, setting the customer's clipboard). */
const CONTROLLER_POWERS: readonly Power[] = ['control', 'clipboard'];

/**
 * JSON control messages of a participant in a live session (docs/protocol.md): chat and its acks, consent,
 * control passing, leaving and ending, bulk credit, signalling, share state, clipboard, system information.
 * Routing is by role: "the customer", "the technicians", one named participant.
 */
export function control(ctx: RelayContext, ws: PartySocket, party: Party, msg: ClientMessage): void {
  const session = party.session!;
  const me = session.participants.get(party.participantId!);
  if (!me) return;
  const isCustomer = me.role === 'customer';
  switch (msg.type) {
    case 'end':
      ctx.endSession(session, isCustomer ? 'customer_ended' : 'technician_ended');
      return;
    case 'leave':
      if (isCustomer) return refuse(ctx, ws, 'E_FORBIDDEN', 'the customer ends the session with "end"');
      ctx.closeParty(ws, 1000, 'left', 'left');
      return;
    case 'chat': {
      if (!session.everPaired) return refuse(ctx, ws, 'E_BAD_MESSAGE', 'no technician has joined yet');
      // Acks are the SDK's bookkeeping, not someone using the session: they do not reset the idle timer.
      session.lastActivity = ctx.deps.now();
      const out: ServerMessage = { v: 1, type: 'chat', from: me.role, fromId: me.id, name: me.name, text: msg.text, at: ctx.deps.now(), seq: msg.seq };
      toEach(ctx, session, out, (p) => p !== me);
      return;
    }
    case 'ack': {
      const to = named(session, msg.to) ?? defaultCounterpart(session, me);
      if (to?.conn) ctx.sendControl(to.conn, { v: 1, type: 'ack', seq: msg.seq, sync: msg.sync || undefined, from: me.id });
      return;
    }
    case 'request': {
      if (!mayRequestPower(session.policy, msg.power)) return refuse(ctx, ws, 'E_FORBIDDEN', `the organisation's policy does not let technicians ask for "${msg.power}"`);
      const applied = session.apply({ kind: 'request', by: me.id, power: msg.power });
      if (!applied.ok) return refuse(ctx, ws, applied.code, applied.message);
      const customer = session.customer;
      const request: ServerMessage = { v: 1, type: 'request', power: msg.power, from: me.id, name: me.name };
      if (customer?.conn) ctx.sendControl(customer.conn, request);
      ctx.recordings.observe(session, request); // the recording keeps who asked for what
      return;
    }
    case 'grant':
    case 'revoke': {
      if (!isCustomer) return refuse(ctx, ws, 'E_FORBIDDEN', 'only the customer grants or revokes powers');
      if (msg.type === 'grant' && !mayRequestPower(session.policy, msg.power)) return refuse(ctx, ws, 'E_FORBIDDEN', `the organisation's policy does not allow "${msg.power}" in its sessions`);
      if (msg.type === 'revoke') {
        // A revoke takes effect at once; subscribers record it after.
        session.apply({ kind: 'revoke', power: msg.power });
        return;
      }
      if (!ctx.bus.hasDurable) {
        session.apply({ kind: 'grant', power: msg.power });
        return;
      }
      // A grant takes effect only once every durable subscriber (the audit log) has it.
      ctx.bus.confirm({ type: 'power_granted', guid: session.guid, power: msg.power }).then(
        () => session.ended || session.apply({ kind: 'grant', power: msg.power }),
        (err: unknown) => {
          ctx.deps.log.error('session.grant_not_recorded', { guid: session.guid, power: msg.power, err });
          refuse(ctx, ws, 'E_INTERNAL', 'the grant could not be recorded, so it was not given');
        },
      );
      return;
    }
    case 'pass': {
      const applied = session.apply({ kind: 'pass', by: me.id, to: msg.to });
      if (!applied.ok) return refuse(ctx, ws, applied.code, applied.message);
      // The powers that act for the technician holding control go back to the customer's decision when
      // someone else takes control, unless the organisation lets grants survive a transfer. `view` is every
      // viewer's, so it stays.
      if (applied.event) {
        const held = [...session.grants].filter((p) => CONTROLLER_POWERS.includes(p));
        const keep = new Set(grantsAfterTransfer(session.policy, held));
        for (const power of held) if (!keep.has(power)) session.apply({ kind: 'revoke', power });
      }
      return;
    }
    case 'credit':
      ctx.bulkOf(session).consumed(me.id, msg.bytes);
      return;
    case 'signal': {
      // Signalling exists for direct paths; a relay-only organisation keeps every byte on the gateway.
      if (!mayUseDirectPath(session.policy)) {
        ctx.deps.pathSignals?.refusedByPolicy();
        return refuse(ctx, ws, 'E_FORBIDDEN', "the organisation's policy keeps sessions on the relay (relayOnly)");
      }
      // A direct path would carry the picture past the recorder: while it records, paths stay on the relay.
      if (ctx.recordings.isRecording(session) && leavesRelay(msg.data)) {
        ctx.deps.pathSignals?.refusedByPolicy();
        return refuse(ctx, ws, 'E_FORBIDDEN', 'the session is being recorded: it stays on the relay (no direct paths) until the recording stops');
      }
      const to = named(session, msg.to) ?? defaultCounterpart(session, me);
      if (!to || to === me) return refuse(ctx, ws, 'E_NO_SUCH_PARTICIPANT', 'a signal needs a participant to go to');
      const verdict = ctx.deps.pathSignals?.inspect({ guid: session.guid }, me.role === 'customer' ? 'customer' : 'technician', msg.data, party.remoteIp);
      if (verdict?.verdict === 'drop') return;
      if (verdict?.using) session.apply({ kind: 'path', id: me.id, path: verdict.using });
      if (to.conn) ctx.sendControl(to.conn, { v: 1, type: 'signal', from: me.id, data: msg.data });
      return;
    }
    case 'share': {
      if (!isCustomer) return refuse(ctx, ws, 'E_FORBIDDEN', 'only the customer shares a screen');
      const { type: _t, v: _v, ...state } = msg;
      toEach(ctx, session, { v: 1, type: 'share', ...state }, (p) => p.role !== 'customer');
      return;
    }
    case 'clipboard': {
      if (!session.grants.has('clipboard')) return refuse(ctx, ws, 'E_NOT_GRANTED', 'the customer has not granted "clipboard"');
      if (!isCustomer && me.id !== session.controller) return refuse(ctx, ws, 'E_NOT_CONTROLLER', 'only the technician holding control sets the clipboard');
      toEach(ctx, session, { v: 1, type: 'clipboard', text: msg.text, from: me.id }, (p) => (isCustomer ? p.role !== 'customer' : p.role === 'customer'));
      return;
    }
    case 'sysinfo': {
      if (!isCustomer) return refuse(ctx, ws, 'E_FORBIDDEN', 'system information comes from the customer');
      if (!session.grants.has('sysinfo')) return refuse(ctx, ws, 'E_NOT_GRANTED', 'the customer has not granted "sysinfo"');
      toEach(ctx, session, { v: 1, type: 'sysinfo', info: msg.info }, (p) => p.role !== 'customer');
      return;
    }
    case 'recording':
      ctx.recordings.control(ws, session, me, msg.action);
      return;
    case 'file-offer':
    case 'file-accept':
    case 'file-cancel':
    case 'file-done':
    case 'file-result':
      fileControl(ctx, ws, session, me, msg);
      return;
    case 'join':
    case 'pickup':
    case 'attend':
    case 'resume':
      return refuse(ctx, ws, 'E_BAD_MESSAGE', `already ${party.phase}`);
  }
}

function refuse(ctx: RelayContext, ws: PartySocket, code: GatewayError['code'], message: string): void {
  ctx.reject(ws, new GatewayError(code, message), false);
}

function toEach(ctx: RelayContext, session: LiveSession, msg: ServerMessage, include: (p: Participant) => boolean): void {
  for (const p of session.participants.values()) if (p.conn && include(p)) ctx.sendControl(p.conn, msg);
}

function named(session: LiveSession, id: string | undefined): Participant | undefined {
  return id === undefined ? undefined : session.participants.get(id);
}

/** Whom a message without `to`/`from` is about: for a technician the customer; for the customer the controller (or the first technician). */
function defaultCounterpart(session: LiveSession, me: Participant): Participant | undefined {
  if (me.role !== 'customer') return session.customer;
  return (session.controller ? session.participants.get(session.controller) : undefined) ?? session.technicians()[0];
}
