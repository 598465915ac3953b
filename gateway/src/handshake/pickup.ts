import type { ClientMessageOf } from '../../../protocol/messages.js';
import { performance } from 'node:perf_hooks';
import { redirectIfElsewhere } from '../cluster/anchor.js';
import { GatewayError, asGatewayError } from '../errors/gateway-error.js';
import { isGone, type Party, type PartySocket } from '../relay/party.js';
import type { RelayContext, Seat, TechnicianIdentity } from '../relay/relay-context.js';
import type { LiveSession } from '../live/live-session.js';
import { pickupSeat } from './pickup-seat.js';
import { refuseUnattendedPickup } from './unattended.js';

/**
 * A technician claims a waiting session (`pickup`, atomic: of many racers one wins) or joins an active one
 * of its organisation as a viewer (`attend`). The session runs where its anchor is: here, or over the link.
 */
export async function pickup(ctx: RelayContext, ws: PartySocket, party: Party, msg: ClientMessageOf<'pickup'> | ClientMessageOf<'attend'>): Promise<void> {
  party.phase = 'pending';
  const started = performance.now();
  const { lifecycle, registry, metrics } = ctx.deps;
  const how = msg.type === 'pickup' ? 'pickup' : 'attend';
  try {
    const who = await ctx.deps.authenticate(msg.token, party.remoteIp);
    party.technicianId = who.technicianId;
    party.technicianName = who.displayName || who.username;
    let record;
    let seat: { in: LiveSession; seat: Seat } | undefined;
    if (how === 'pickup') {
      // Redirect only within the organisation: another organisation's session is "not found", never "elsewhere".
      const read = ctx.options.clusterMode === 'redirect' ? await registry.getSession(msg.guid) : undefined;
      if (read !== undefined) await redirectIfElsewhere(ctx, read, who.orgId);
      // The policy of the technician's organisation and team at pickup is the session's for its whole life
      // (kept in the record, so a gateway that takes the session over enforces the same).
      const policy = await ctx.deps.policies.policyFor(who.orgId, who.teamId);
      const here = ctx.sessions.get(msg.guid);
      await refuseUnattendedPickup(ctx, msg.guid, here ?? read, policy);
      const seated = here?.customer?.conn ? pickupSeat(here, { name: party.technicianName, technicianId: who.technicianId, tokenId: who.tokenId }) : undefined;
      if (here && seated) seat = { in: here, seat: seated.seat };
      const result = await lifecycle.transition(msg.guid, 'active', {
        reason: 'picked_up',
        from: ['waiting'],
        orgId: who.orgId,
        set: { technicianId: who.technicianId, technicianName: party.technicianName, policy, ...seated?.set },
      });
      if (!result.ok) {
        if (result.reason !== 'wrong_state') throw new GatewayError('E_SESSION_NOT_FOUND');
        const state = result.session.state;
        throw new GatewayError(state === 'active' ? 'E_SESSION_TAKEN' : state === 'created' ? 'E_SESSION_NOT_WAITING' : 'E_SESSION_CLOSED');
      }
      record = result.session;
    } else {
      record = await registry.getSession(msg.guid);
      if (!record || record.orgId !== who.orgId) throw new GatewayError('E_SESSION_NOT_FOUND');
      if (record.state !== 'active') throw new GatewayError(record.state === 'closed' || record.state === 'expired' ? 'E_SESSION_CLOSED' : 'E_SESSION_NOT_ACTIVE');
      if (ctx.options.clusterMode === 'redirect') await redirectIfElsewhere(ctx, record, who.orgId);
    }
    const session = ctx.sessions.get(msg.guid);
    const anchor = record.anchorGateway;
    if (!session && anchor && anchor !== ctx.options.gatewayId && ctx.deps.links) {
      const peer = await registry.getGateway(anchor);
      if (!peer) throw new GatewayError('E_PEER_GONE'); // the customer's gateway is gone, and the customer with it
      await ctx.bridge(ws, party, peer, { ...request(record.guid, record.orgId, how, who, party), policy: how === 'pickup' ? record.policy : undefined });
    } else if (!session || (how === 'pickup' && !session.customer?.conn)) {
      throw new GatewayError('E_PEER_GONE'); // the customer left between listing and pickup
    } else if (isGone(party)) {
      if (how === 'pickup') ctx.endSession(session, 'technician_left');
      return;
    } else {
      if (how === 'pickup' && record.policy) session.policy = record.policy;
      ctx.place(session, ws, party, { how, name: party.technicianName, technicianId: who.technicianId, tokenId: who.tokenId, seat: seat?.in === session ? seat.seat : undefined });
    }
    if (how === 'pickup') metrics.pickupSeconds.observe((performance.now() - started) / 1000);
  } catch (err) {
    const e = asGatewayError(err);
    if (e.code === 'E_PEER_GONE' && how === 'pickup') {
      ctx.background(lifecycle.transition(msg.guid, 'closed', { reason: 'customer_left', from: ['active'] }));
    }
    ctx.reject(ws, e, true);
  }
}

function request(guid: string, orgId: string, mode: 'pickup' | 'attend', who: TechnicianIdentity, party: Party) {
  return { guid, orgId, role: 'technician' as const, mode, technicianId: who.technicianId, technicianName: party.technicianName, tokenId: who.tokenId, address: party.remoteIp };
}
