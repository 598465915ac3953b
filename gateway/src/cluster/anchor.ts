import { channelById, type DeliveryClass } from '../../../protocol/channels.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { LiveSession } from '../live/live-session.js';
import { closeCodeFor, isCloseReason } from '../relay/close-reasons.js';
import { messageText } from '../relay/message-text.js';
import { isGone, newParty, type Party, type PartySocket } from '../relay/party.js';
import type { RelayContext } from '../relay/relay-context.js';
import type { GatewayRecord } from '../registry/registry.js';
import type { SessionRecord } from '../session/session-record.js';
import type { LinkStream, OpenRequest } from './link-stream.js';
import { RemotePartySocket } from './remote-party-socket.js';

/**
 * The cluster's side of a session: which gateway runs it (its anchor), taking it over when that one is gone
 * (the takeover lease), carrying a party to it from another gateway (bridging), and reaching it from
 * elsewhere with a command.
 */

/** Redirect mode: a session whose anchor is another live gateway is reached there, not through us. */
export async function redirectIfElsewhere(ctx: RelayContext, record: SessionRecord | null, orgId: string): Promise<void> {
  // Another organisation's (or no) session gets no redirect: that would reveal that the GUID exists, and where.
  if (!record || record.orgId !== orgId) return;
  const anchor = record.anchorGateway;
  if (!anchor || anchor === ctx.options.gatewayId) return;
  const gateway = await ctx.deps.registry.getGateway(anchor);
  if (gateway && !gateway.draining) throw new GatewayError('E_REDIRECT', undefined, gateway.publicUrl);
}

/**
 * The takeover lease: of the gateways that find a session's anchor gone, the first to count
 * `takeover:<guid>:<old anchor>` rewrites the anchor to itself. Null when another gateway has the lease.
 */
export async function takeOver(ctx: RelayContext, record: SessionRecord): Promise<SessionRecord | null> {
  const { registry, log, now } = ctx.deps;
  const from = record.anchorGateway ?? '';
  if ((await registry.hit(`takeover:${record.guid}:${from}`, 60_000)) !== 1) return null;
  const taken = await registry.updateSession(
    record.guid,
    { states: ['waiting', 'active'] },
    { set: { anchorGateway: ctx.options.gatewayId, updatedAt: now() }, ttlMs: record.state === 'active' ? ctx.options.activeTtlMs : undefined },
  );
  if (!taken.ok) throw new GatewayError('E_SESSION_CLOSED');
  log.info('session.taken_over', { guid: record.guid, from });
  return taken.session;
}

/**
 * This gateway becomes the anchor of a session (after a takeover, or a restart under the same id): its
 * participants come back from the registry's copy, all away until they resume.
 */
export function adopt(ctx: RelayContext, record: SessionRecord): LiveSession {
  const session = ctx.openSession(record);
  for (const p of record.participants ?? []) {
    session.apply({ kind: 'add', id: p.id, role: p.role, name: p.name, technicianId: p.technicianId, tokenId: p.tokenId, resumeHash: p.resumeHash, conn: null, how: 'adopt' });
  }
  for (const power of record.grants ?? []) session.grants.add(power);
  if (record.policy) session.policy = record.policy;
  session.unattended = record.unattended === true;
  session.controller = record.controller ?? null;
  session.everPaired = record.state === 'active';
  // The longest allowed duration counts again from here (the record does not keep when it was paired).
  if (session.everPaired) session.pairedAt = ctx.deps.now();
  session.apply({ kind: 'anchor', from: null, to: ctx.options.gatewayId });
  return session;
}

/**
 * Runs a command at the session's anchor, wherever it is (within a second: one link round trip). False when
 * no live anchor answers (the caller falls back to the registry change alone).
 */
export async function commandAnchor(ctx: RelayContext, record: SessionRecord, command: NonNullable<OpenRequest['command']>): Promise<boolean> {
  const anchor = record.anchorGateway;
  if (!anchor || anchor === ctx.options.gatewayId || !ctx.deps.links) return false;
  const peer = await ctx.deps.registry.getGateway(anchor);
  if (!peer) return false;
  try {
    const stream = await ctx.deps.links.openStream(peer, { guid: record.guid, orgId: record.orgId, role: 'technician', mode: 'command', command });
    stream.close(1000, 'done');
    return true;
  } catch {
    return false;
  }
}

/** Runs a command at every other live gateway (a technician whose access ended may be in sessions anywhere). */
export async function commandEveryGateway(ctx: RelayContext, command: NonNullable<OpenRequest['command']>): Promise<void> {
  if (!ctx.deps.links) return;
  const gateways = await ctx.deps.registry.listGateways();
  await Promise.all(
    gateways
      .filter((g) => g.id !== ctx.options.gatewayId)
      .map((g) =>
        ctx.deps.links!.openStream(g, { guid: '', orgId: '', role: 'technician', mode: 'command', command }).then(
          (stream) => stream.close(1000, 'done'),
          (err: unknown) => ctx.deps.log.warn('cluster.command_failed', { gateway: g.id, command: command.kind, err }),
        ),
      ),
  );
}

/** Outbox tag of frames carried for a bridged party: counted by the gateway that runs the session. */
const BRIDGED_TAG = -2;
const CONTROL_TAG = -1;

/**
 * A party here, its session run by `peer`: open a stream there and carry the party's frames both ways; the
 * anchor runs the session (grants, channels, timeouts). Rejects with E_PEER_GONE if it cannot.
 */
export async function bridge(ctx: RelayContext, ws: PartySocket, party: Party, peer: GatewayRecord, request: OpenRequest): Promise<void> {
  const stream = await ctx.deps.links!.openStream(peer, request);
  const left = party.role === 'customer' ? 'customer_left' : 'technician_left';
  if (isGone(party)) {
    stream.close(closeCodeFor(left).code, left);
    return;
  }
  party.phase = 'bridged';
  party.bridge = stream;
  const writer = party.writer!;
  stream.attach({
    // Frames from the anchor to our party go through the party's writer like any other: media beyond the
    // party's budget is dropped here (the anchor's screen module then repairs it), control past the cap closes it.
    text: (text) => writer.write(text, false, 'control', CONTROL_TAG),
    binary: (bytes) => writer.write(bytes, true, classOf(bytes[0]), BRIDGED_TAG),
    close: (code, reason) => {
      party.bridge = undefined;
      ctx.closeParty(ws, code, reason);
    },
  });
}

/**
 * A bridged party's frame: checked and relayed by the anchor; here it only passes, within the same budgets as
 * any writer's, so what this gateway sends the anchor is bounded: media beyond the budget is dropped (counted;
 * the anchor's screen module sees the gap), and a party that sends past what the anchor takes is closed.
 */
export function carry(ctx: RelayContext, ws: PartySocket, party: Party, data: ArrayBuffer | Uint8Array, isBinary: boolean): void {
  const stream = party.bridge!;
  if (!isBinary) {
    stream.sendText(messageText(data));
    return;
  }
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (classOf(bytes[0]) === 'media' && stream.inflight > ctx.options.droppableQueueBytes) {
    ctx.counters.dropped.backpressure.inc();
    return;
  }
  if (stream.inflight > ctx.options.reliableQueueBytes + ctx.options.bulkWindowBytes) {
    ctx.slowConsumer(ws);
    return;
  }
  stream.sendBinary(bytes); // encodeFrame copies the bytes
}

/**
 * Anchor side of a bridge: a party on another gateway (a technician picking up or attending, or a participant
 * resuming) joins a session this gateway runs; or another gateway sends a command. Throws E_PEER_GONE when
 * the party cannot join.
 */
export async function acceptRemote(ctx: RelayContext, stream: LinkStream, request: OpenRequest): Promise<void> {
  if (request.mode === 'command') return ctx.runCommand(request);
  let session = ctx.sessions.get(request.guid);
  if (!session && request.mode === 'resume') {
    // Restarted under the same gateway id: the registry still names us the anchor.
    const record = await ctx.deps.registry.getSession(request.guid);
    if ((record?.state === 'active' || record?.state === 'waiting') && record.anchorGateway === ctx.options.gatewayId) session = adopt(ctx, record);
  }
  const valid =
    session &&
    session.orgId === request.orgId &&
    (request.mode === 'resume'
      ? request.participantId !== undefined && session.participants.has(request.participantId)
      : request.mode === 'pickup'
        ? session.customer?.conn != null && session.technicians().length === 0
        : session.everPaired);
  if (!session || !valid || ctx.shuttingDown) throw new GatewayError('E_PEER_GONE');
  if (request.mode === 'pickup' && request.policy) session.policy = request.policy;
  const party = newParty(request.role, request.address ?? 'gateway-link', ctx.deps.now(), true);
  party.phase = 'paired';
  party.technicianId = request.technicianId;
  party.technicianName = request.technicianName;
  const socket = new RemotePartySocket(stream, party, (s) => ctx.onClose(s));
  ctx.onOpen(socket);
  stream.attach({
    text: (text) => ctx.onMessage(socket, Buffer.from(text, 'utf8'), false),
    // The frame's bytes in place: forwarding copies what it keeps (a new ArrayBuffer per frame was 8 % of the
    // anchor's CPU at 1 KiB in the two-gateway relay bench, plus the GC it caused).
    binary: (bytes) => ctx.onMessage(socket, bytes, true),
    close: (_code, reason) => {
      if (isCloseReason(reason)) party.leaving = reason;
      socket.remoteClosed();
    },
  });
  ctx.place(
    session,
    socket,
    party,
    request.mode === 'resume'
      ? { how: 'resume', participantId: request.participantId! }
      : { how: request.mode, name: request.technicianName ?? 'technician', technicianId: request.technicianId, tokenId: request.tokenId },
  );
}

/** Delivery class of a binary frame by its channel byte (unknown channels: control, so they are never dropped here). */
function classOf(id: number | undefined): DeliveryClass {
  return (id === undefined ? undefined : channelById[id]?.class) ?? 'control';
}
