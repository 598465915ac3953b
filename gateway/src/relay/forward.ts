import { channelById, channels } from '../../../protocol/channels.js';
import { FILE_CHUNK_HEADER_BYTES, fileOfferIdAt } from '../../../protocol/file-transfer.js';
import { GatewayError } from '../errors/gateway-error.js';
import { fileChunkReceiver } from '../files/file-control.js';
import type { LiveSession } from '../live/live-session.js';
import type { Participant } from '../live/participant.js';
import type { DropReason } from './drop-reasons.js';
import type { Party, PartySocket } from './party.js';
import type { RelayContext } from './relay-context.js';

/** What forwarding needs beyond the relay context: pre-bound counters (label lookups are too slow per message). */
export interface ForwardCounters {
  dropped: Record<DropReason, { inc(n?: number): void }>;
  /** Copies a uWS message buffer for the writes that happen after the handler returns (relay/outbox.ts copy()). */
  copy(data: Uint8Array): Uint8Array;
}

/**
 * Reused for every frame (forward never runs inside itself): no recipients array per message (forward's self time
 * at 1 KiB 19 % → 9 % with the arena copy, docs/benchmarks.md). Filled up to `recipientCount` and cleared after
 * use: never truncated, because setting an array's length is a runtime call (2–3 % of the gateway at 1 KiB).
 */
const recipients: (Participant | null)[] = [];
let recipientCount = 0;

/**
 * Hot path: one binary frame from a participant. One lookup for the channel, the direction and grant checks,
 * then the frame goes to its recipients by class. The bytes are relayed untouched; one copy is shared by every
 * recipient (uWS frees `data` when the handler returns, and the writes happen later, relay/outbox.ts). That copy
 * lives in the outbox's arena, valid until the next flush: a Writer that keeps a frame longer copies it (the
 * link does, into its batch: cluster/link-batch.ts); the screen module keeps frames, so it gets its own. A frame
 * from a party on another gateway is already a buffer of its own (a link read's) and is not copied.
 */
export function forward(ctx: RelayContext, counters: ForwardCounters, ws: PartySocket, party: Party, data: ArrayBuffer | Uint8Array): void {
  const session = party.session!;
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const channelId = bytes.byteLength > 0 ? bytes[0]! : -1;
  const channel = channelById[channelId];
  if (!channel) {
    counters.dropped.unknown_channel.inc();
    ctx.reject(ws, new GatewayError('E_BAD_MESSAGE', `unknown channel ${channelId} (first byte of a binary message)`), false);
    return;
  }
  const senderId = party.participantId!;
  const mayFrom = channel.from === 'any' || (channel.from === 'customer' ? party.role === 'customer' : party.role === 'technician');
  if (!mayFrom) {
    counters.dropped.wrong_direction.inc();
    ctx.reject(ws, new GatewayError('E_FORBIDDEN', `a ${party.role} may not send on the ${channel.name} channel`), false);
    return;
  }
  if (channel.needs && !session.grants.has(channel.needs)) {
    counters.dropped.not_granted.inc();
    // Media sent before a grant is dropped quietly (an agent may start early); anything else is told.
    if (channel.class !== 'media') ctx.reject(ws, new GatewayError('E_NOT_GRANTED', `the customer has not granted "${channel.needs}"`), false);
    return;
  }
  if (channel.from === 'controller' && senderId !== session.controller) {
    counters.dropped.not_controller.inc();
    ctx.reject(ws, new GatewayError('E_NOT_CONTROLLER', `only the technician holding control sends on the ${channel.name} channel`), false);
    return;
  }
  if (channelId === channels.file.id) {
    // A file chunk goes only to its offer's receiver, and only within the offer (files/file-control.ts).
    const receiver = fileChunkReceiver(ctx, ws, session, senderId, fileOfferIdAt(bytes, 1), bytes.byteLength - FILE_CHUNK_HEADER_BYTES);
    if (!receiver) return;
    recipients[0] = receiver;
    recipientCount = 1;
  } else collectRecipients(session, party.role);
  if (recipientCount === 0) {
    counters.dropped.no_peer.inc();
    return;
  }
  if (channel.class === 'bulk' && !ctx.bulkOf(session).allow(senderId, bytes.byteLength - 1, recipients as Participant[], recipientCount)) {
    clearRecipients();
    counters.dropped.flow_control.inc();
    ctx.reject(ws, new GatewayError('E_FLOW_CONTROL', `bulk data beyond the credit given (window ${ctx.options.bulkWindowBytes} bytes); wait for "credit"`), false);
    return;
  }
  session.relayedSinceTick = true;
  if (channel.id === channels.screen.id && session.screen) {
    clearRecipients();
    const verdict = session.screen.onFrame(bytes.slice());
    if (verdict.kind === 'refused') ctx.reject(ws, new GatewayError('E_BAD_MESSAGE', verdict.reason), false);
    return;
  }
  // A link frame (a party on another gateway) stays valid as long as it is referenced (cluster/link-frames.ts
  // never writes into a read buffer twice): no copy; a uWS buffer is freed when the handler returns: copied.
  const frame = party.remote ? bytes : counters.copy(bytes);
  // Media needs `view` (checked above), so every recipient of a customer's media is a viewer.
  for (let i = 0; i < recipientCount; i++) {
    const r = recipients[i]!;
    recipients[i] = null;
    const outcome = r.conn!.getUserData().writer!.write(frame, true, channel.class, channelId);
    if (outcome === 'dropped') counters.dropped.backpressure.inc();
  }
  recipientCount = 0;
}

/** A technician's frames go to the customer; the customer's to every connected technician (and system participant). */
function collectRecipients(session: LiveSession, from: Party['role']): void {
  recipientCount = 0;
  for (const p of session.participants.values()) {
    if (p.conn === null) continue;
    if (from === 'technician' ? p.role === 'customer' : p.role !== 'customer') recipients[recipientCount++] = p;
  }
}

function clearRecipients(): void {
  for (let i = 0; i < recipientCount; i++) recipients[i] = null;
  recipientCount = 0;
}
