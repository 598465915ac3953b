import type { PathSignalFilter } from '../paths/path-signal-filter.js';
import type { GatewayDecoders } from '../screen/gateway-decoders.js';
import type { ServerMessage } from '../../../protocol/messages.js';
import type { LinkStream, OpenRequest } from '../cluster/link-stream.js';
import type { GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../log/logger.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import type { GatewayRecord, Registry } from '../registry/registry.js';
import type { PinGuard } from '../session/pin-guard.js';
import type { CloseReason, SessionRecord } from '../session/session-record.js';
import type { SessionLifecycle } from '../session/transition.js';
import type { QueueLimits } from '../delivery/socket-writer.js';
import type { BulkCredit } from '../delivery/bulk-credit.js';
import type { FileOffers } from '../files/file-offers.js';
import type { LiveEventBus } from '../live/live-events.js';
import type { LiveSession } from '../live/live-session.js';
import type { PolicySource } from '../policy/org-policy.js';
import type { FormSource } from '../org/pre-session-form-source.js';
import type { SessionRecordings } from '../recording/session-recordings.js';
import type { ForwardCounters } from './forward.js';
import type { Party, PartySocket } from './party.js';

/** What a technician's bearer token resolves to. */
export interface TechnicianIdentity {
  technicianId: string;
  orgId: string;
  username: string;
  displayName?: string;
  /** SHA-256 of the bearer token it came with: the session re-checks it (logout, disable end participation). */
  tokenId: string;
  /** Whose team policy applies; null: the organisation's. */
  teamId?: string | null;
}

export interface RelayOptions extends QueueLimits {
  gatewayId: string;
  /** Larger messages close the sender with E_MESSAGE_TOO_LARGE (uWS itself drops the connection at twice this). */
  maxMessageBytes: number;
  idleTimeoutMs: number;
  /** A connection that has not sent its join/pickup/resume within this time is closed. */
  helloTimeoutMs: number;
  /** Active sessions' registry records are kept alive for this long past the last refresh. */
  activeTtlMs: number;
  /** How long a session waits for a participant that lost its connection to resume. */
  resumeGraceMs: number;
  /** Reach a session on another gateway by relaying over the link, or by sending the client there. */
  clusterMode: 'relay' | 'redirect';
  /** Bulk bytes a sender may have unconsumed by its slowest receiver (delivery/bulk-credit.ts). */
  bulkWindowBytes: number;
  /** Gateway-side screen decoders (screen/gateway-decoders.ts); absent = screen repairs through the agent only. */
  screenDecoders?: GatewayDecoders;
  /** Folder the recorder writes one file per recorded session to (gateway/src/recording/). */
  recordingsDir: string;
}

/** What the relay needs of the cluster to reach a session's anchor gateway. */
export interface ClusterLinks {
  openStream(peer: { id: string; linkAddress: string }, request: OpenRequest): Promise<LinkStream>;
  isReachable(peer: { id: string; linkAddress: string }): Promise<boolean>;
}

export interface RelayDeps {
  registry: Registry;
  /** Absent on a lone gateway (memory registry). */
  links?: ClusterLinks;
  lifecycle: SessionLifecycle;
  /** With the party's address, the organisation's IP allow-list applies too (E_IP_NOT_ALLOWED). */
  authenticate: (bearerToken: string, sourceIp?: string) => Promise<TechnicianIdentity>;
  /** The same by token id; throws E_TOKEN_INVALID once the token is logged out, expired or its account disabled. */
  authenticateTokenId: (tokenId: string, sourceIp?: string) => Promise<TechnicianIdentity>;
  /** The organisation's (and team's) session policy, read once when a session is picked up. */
  policies: PolicySource;
  /** The organisation's pre-session form, read when a customer joins; absent = no organisation has one. */
  forms?: FormSource;
  pinGuard: PinGuard;
  metrics: GatewayMetrics;
  log: Logger;
  now: () => number;
  /** Path signals: dropped under relayOnly, `using` announcements counted (gateway/src/paths/). */
  pathSignals?: PathSignalFilter;
}

/**
 * A technician's place decided before its pickup's compare-and-set, so the claim itself stores the participant
 * with its resume token's hash (handshake/pickup-seat.ts): its id, and the token it is handed.
 */
export interface Seat {
  id: string;
  token: { token: string; hash: string };
}

/** A participant placed in a live session by a handshake: who, and how it came. */
export type Placement =
  | { how: 'pickup' | 'attend'; name: string; technicianId?: string; tokenId?: string; seat?: Seat }
  | { how: 'resume'; participantId: string };

/**
 * What the handshake modules (handshake/), the anchor module (cluster/anchor.ts), forwarding and control
 * handling need of the relay: the sessions this gateway runs and the ways to talk to connections.
 */
export interface RelayContext {
  readonly deps: RelayDeps;
  readonly options: RelayOptions;
  readonly sessions: Map<string, LiveSession>;
  readonly bus: LiveEventBus;
  readonly shuttingDown: boolean;
  /** Gateway-originated frames (state, errors): small, never refused. */
  send(ws: PartySocket, msg: ServerMessage): void;
  /** The answer to a handshake: before anything else queued for the connection. */
  answer(ws: PartySocket, msg: ServerMessage): void;
  /** Control messages between participants: count against the receiver's reliable cap. */
  sendControl(ws: PartySocket, msg: ServerMessage): void;
  reject(ws: PartySocket, err: GatewayError, close: boolean): void;
  closeParty(ws: PartySocket, code: number, text: string, reason?: CloseReason): void;
  endSession(session: LiveSession, reason: CloseReason): void;
  /** Puts a connection into its place in a session this gateway runs (new participant, or one resuming). */
  place(session: LiveSession, ws: PartySocket, party: Party, placement: Placement): void;
  /** A new live session (customer joined here, or a takeover/adoption). */
  openSession(record: SessionRecord): LiveSession;
  bulkOf(session: LiveSession): BulkCredit;
  /** The session's open file offers (files/file-offers.ts). */
  filesOf(session: LiveSession): FileOffers;
  /** Carries a party's frames to the session's anchor on another gateway. Rejects with E_PEER_GONE. */
  bridge(ws: PartySocket, party: Party, peer: GatewayRecord, request: OpenRequest): Promise<void>;
  /** Registry writes nobody awaits: failures are logged, relaying goes on. */
  background(work: Promise<unknown>): void;
  /** Pre-bound counters of the hot paths. */
  readonly counters: ForwardCounters;
  /** Closes a receiver that does not read (E_SLOW_CONSUMER). */
  slowConsumer(ws: PartySocket): void;
  // The connection events, for connections that are not uWS sockets (a party on another gateway).
  onOpen(ws: PartySocket): void;
  onMessage(ws: PartySocket, data: ArrayBuffer | Uint8Array, isBinary: boolean, party?: Party): void;
  onClose(ws: PartySocket): void;
  /** A command another gateway sent to this one (cluster/anchor.ts). */
  runCommand(request: OpenRequest): Promise<void>;
  /** Gives the gateway's own system participant (the recorder) a Writer, as onOpen does for a connection. */
  openSystemWriter(ws: PartySocket): void;
  /** The sessions' recorder (gateway/src/recording/): recording control messages, and whether one records now. */
  readonly recordings: SessionRecordings;
}
