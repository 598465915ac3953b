import type { ClientMessageOf } from '../../../protocol/messages.js';
import { adopt, takeOver } from '../cluster/anchor.js';
import { GatewayError, asGatewayError } from '../errors/gateway-error.js';
import type { ParticipantRecord } from '../live/participant.js';
import { hashResumeToken } from '../live/resume-token.js';
import { constantTimeEqual } from '../auth/constant-time.js';
import { isGone, type Party, type PartySocket } from '../relay/party.js';
import type { RelayContext } from '../relay/relay-context.js';
import type { SessionRecord } from '../session/session-record.js';

/** How long a resumed party waits for another gateway to finish taking a session over. */
const TAKEOVER_WAIT_MS = [100, 250, 500, 1000];
/** How long the participant's current connection has to show it is alive before a resume replaces it. */
const LIVENESS_PROBE_MS = 1000;

/**
 * A participant comes back (to a waiting or active session, on any gateway) with its resume token. The
 * session goes on where its anchor is; if the anchor is gone or draining, this gateway takes it over.
 * Tokens are single use (the placement hands out the next one), and a token cannot take a live connection
 * over: the current connection is probed first, and only one that does not answer is replaced.
 */
export async function resume(ctx: RelayContext, ws: PartySocket, party: Party, msg: ClientMessageOf<'resume'>): Promise<void> {
  party.phase = 'pending';
  const { registry, pinGuard } = ctx.deps;
  try {
    const attempt = await pinGuard.reserve(party.remoteIp);
    let record = await registry.getSession(msg.guid);
    const hash = hashResumeToken(msg.token);
    const local = ctx.sessions.get(msg.guid);
    // The anchor's live copy has the newest token hashes; elsewhere the registry's copy is what we have.
    const known: ParticipantRecord[] = local ? [...local.participants.values()] : (record?.participants ?? []);
    const participant = known.find((p) => p.role === party.role && p.resumeHash !== undefined && constantTimeEqual(hash, p.resumeHash));
    if (!record || (record.state !== 'active' && record.state !== 'waiting') || !participant) {
      throw new GatewayError('E_SESSION_NOT_FOUND');
    }
    void attempt.succeeded();
    if (participant.role === 'technician') {
      // A technician whose access ended (logout, disabled) cannot come back with its resume token either.
      if (participant.tokenId) await ctx.deps.authenticateTokenId(participant.tokenId, party.remoteIp);
      party.technicianId = participant.technicianId;
      party.technicianName = participant.name;
    }
    for (const waitMs of [0, ...TAKEOVER_WAIT_MS]) {
      if (waitMs) {
        await sleep(waitMs);
        record = await registry.getSession(msg.guid);
        if (!record || (record.state !== 'active' && record.state !== 'waiting')) throw new GatewayError('E_SESSION_CLOSED');
      }
      if (isGone(party)) return;
      const anchor = record.anchorGateway;
      if (anchor === ctx.options.gatewayId) {
        const session = ctx.sessions.get(record.guid) ?? adopt(ctx, record);
        await refuseIfAlive(session.participants.get(participant.id)?.conn ?? null);
        if (isGone(party)) return;
        ctx.place(session, ws, party, { how: 'resume', participantId: participant.id });
        return;
      }
      const peer = anchor && ctx.deps.links ? await registry.getGateway(anchor) : null;
      if (peer && !peer.draining && ctx.options.clusterMode === 'redirect') throw new GatewayError('E_REDIRECT', undefined, peer.publicUrl);
      if (peer && !peer.draining) {
        try {
          await ctx.bridge(ws, party, peer, {
            guid: record.guid,
            orgId: record.orgId,
            role: party.role,
            mode: 'resume',
            participantId: participant.id,
            technicianId: party.technicianId,
            technicianName: party.technicianName,
            address: party.remoteIp,
          });
          return;
        } catch (err) {
          if (asGatewayError(err).code !== 'E_PEER_GONE') throw err;
          // The anchor cannot be reached (it died since its last heartbeat): take over below.
        }
      }
      const taken: SessionRecord | null = await takeOver(ctx, record);
      if (taken) {
        if (isGone(party)) return;
        ctx.place(ctx.sessions.get(taken.guid) ?? adopt(ctx, taken), ws, party, { how: 'resume', participantId: participant.id });
        return;
      }
      // Another gateway is taking it over: read the record again for the new anchor.
    }
    throw new GatewayError('E_RECONNECT');
  } catch (err) {
    ctx.reject(ws, asGatewayError(err), true);
  }
}

/**
 * A resume token presented while its participant's connection here still works is stolen or replayed: the
 * owner is alive. Probe the current connection (a WebSocket ping) and refuse if it shows any sign of life
 * within LIVENESS_PROBE_MS. A connection that is half-open (the owner's network went away) stays silent and
 * is replaced. Remote connections (another gateway carries them) are replaced: that gateway is the owner's.
 */
async function refuseIfAlive(current: PartySocket | null): Promise<void> {
  if (!current || !current.ping) return;
  const party = current.getUserData();
  if (isGone(party) || party.remote) return;
  const heardBefore = party.heard;
  current.ping();
  const deadline = Date.now() + LIVENESS_PROBE_MS;
  while (Date.now() < deadline) {
    await sleep(50);
    if (isGone(party)) return;
    if (party.heard > heardBefore) throw new GatewayError('E_FORBIDDEN', 'this participant is connected: a resume token cannot take a live connection over');
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
