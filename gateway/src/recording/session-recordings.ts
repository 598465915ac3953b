import { join } from 'node:path';
import type { RecordingAction, ServerMessage } from '../../../protocol/messages.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { LiveEvent } from '../live/live-events.js';
import type { LiveSession } from '../live/live-session.js';
import type { Participant } from '../live/participant.js';
import { mayStartRecording, recordingRequired } from '../policy/org-policy.js';
import type { PartySocket } from '../relay/party.js';
import type { RelayContext } from '../relay/relay-context.js';
import { RecorderSocket } from './recorder-socket.js';
import { RecordingFile } from './recording-file.js';
import type { RecordingStop } from './recording-format.js';

/** How long a stopping gateway waits for its recording files to be written and closed. */
const SETTLE_TIMEOUT_MS = 5000;

/** The name every participant sees for the recorder in the participants list. */
export const RECORDER_NAME = 'recorder';

/** What the recorder needs of the session core: the relay context, less what it does not use. */
export type RecordingContext = Pick<RelayContext, 'send' | 'sendControl' | 'closeParty' | 'reject' | 'bulkOf' | 'bus' | 'deps' | 'options' | 'sessions' | 'openSystemWriter'>;

interface Running {
  socket: RecorderSocket;
  file: RecordingFile;
  participantId: string;
}

/**
 * The gateway-side recorder of every session this gateway runs (docs/recording.md). A recording is a system
 * participant ("recorder", role `system`) that receives what a viewer receives, so the customer always sees
 * it in the participants list; it is told `recording: on` / `off` as well. The organisation's policy decides:
 * - `always`: the recorder joins when the session is picked up;
 * - `on-request`: the technician holding control asks, the customer consents (like a power: a durable
 *   subscriber has the consent first) or refuses; either side may stop it;
 * - `off`: a request is refused with E_FORBIDDEN.
 * While it records, the session stays on the relay (relay/control.ts refuses direct-path signals), because a
 * direct path would carry the picture past the recorder. A disk that fails ends the recording (log line and
 * notice), never the session or the gateway.
 */
export class SessionRecordings {
  private readonly running = new Map<string, Running>();
  /** on-request: the technician whose request waits for the customer's answer, per session. */
  private readonly pending = new Map<string, string>();
  /** Files still being flushed and closed, by session: a new segment of the same file waits for its last one. */
  private readonly closing = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: RecordingContext,
    private readonly dir: string,
  ) {}

  /** The file a session's recording goes to (GUIDs are 32 hex digits: safe as a file name). */
  fileOf(guid: string): string {
    return join(this.dir, `${guid}.rdrec`);
  }

  /** Whether the session is being recorded here (its traffic must stay on the relay). */
  isRecording(session: LiveSession): boolean {
    return this.running.has(session.guid);
  }

  /** A subscriber of the live-event bus. */
  readonly onEvent = (event: LiveEvent): void => {
    switch (event.type) {
      case 'participant_joined': {
        const r = this.running.get(event.guid);
        // Whoever comes in while it records (a technician attending) is told, as the others were when it started.
        if (r && event.how !== 'record' && event.participant.conn) {
          this.ctx.send(event.participant.conn, { v: 1, type: 'recording', state: 'on', recorder: r.participantId });
        }
        if (event.how !== 'pickup') return;
        const session = this.ctx.sessions.get(event.guid);
        // After the pickup's own event has reached every subscriber (the recorder joining is a change of its own).
        if (session && recordingRequired(session.policy)) queueMicrotask(() => this.start(session, { mode: 'always' }));
        return;
      }
      case 'anchor_moved': {
        // Taken over from another gateway: a recorder in the registry's copy records on here (a new segment).
        const session = this.ctx.sessions.get(event.guid);
        if (!session) return;
        const away = [...session.participants.values()].find((p) => p.role === 'system' && p.conn === null);
        if (away) queueMicrotask(() => this.start(session, { mode: recordingRequired(session.policy) ? 'always' : 'on-request', resume: away.id }));
        return;
      }
      case 'ended': {
        this.pending.delete(event.guid);
        const r = this.running.get(event.guid);
        if (r) r.socket.stopReason = { reason: 'session_ended', message: event.reason };
        return;
      }
      default:
        return;
    }
  };

  /** A participant's `recording` message (relay/control.ts). */
  control(ws: PartySocket, session: LiveSession, me: Participant, action: RecordingAction): void {
    const policy = session.policy;
    const refuse = (code: GatewayError['code'], message: string) => this.ctx.reject(ws, new GatewayError(code, message), false);
    if (!mayStartRecording(policy)) return refuse('E_FORBIDDEN', `the organisation's policy does not allow recording (recording: ${policy.recording})`);
    const running = this.running.get(session.guid);
    if (me.role === 'technician') {
      if (me.id !== session.controller) return refuse('E_NOT_CONTROLLER', 'only the technician holding control asks for or stops a recording');
      if (action === 'consent' || action === 'refuse') return refuse('E_FORBIDDEN', 'only the customer consents to a recording');
      if (action === 'stop') {
        if (recordingRequired(policy)) return refuse('E_FORBIDDEN', "the organisation's policy records every session (recording: always)");
        if (!running) return refuse('E_BAD_MESSAGE', 'nothing is being recorded');
        this.stop(session, { reason: 'stopped', message: `stopped by ${me.name}` });
        return;
      }
      if (running) return refuse('E_BAD_MESSAGE', 'the session is already being recorded');
      const direct = [...session.participants.values()].find((p) => p.path !== 'relay');
      if (direct) return refuse('E_FORBIDDEN', `${direct.id} is on a direct path (${direct.path}): a recording needs the session on the relay; move back to it first`);
      // The policy records every session: one that failed (a disk error) starts again without asking.
      if (recordingRequired(policy)) return this.start(session, { mode: 'always', requestedBy: me.id });
      const asked = session.apply({ kind: 'recording_request', by: me.id });
      if (!asked.ok) return refuse(asked.code, asked.message);
      this.pending.set(session.guid, me.id);
      this.tellEveryone(session, { v: 1, type: 'recording', state: 'requested', from: me.id, name: me.name });
      return;
    }
    if (me.role !== 'customer') return;
    if (action === 'request') return refuse('E_FORBIDDEN', 'a recording is asked for by the technician holding control');
    if (action === 'stop') {
      if (recordingRequired(policy)) return refuse('E_FORBIDDEN', "the organisation's policy records every session (recording: always); ending the session stops it");
      if (!running) return refuse('E_BAD_MESSAGE', 'nothing is being recorded');
      this.stop(session, { reason: 'stopped', message: `stopped by ${me.name}` });
      return;
    }
    const requestedBy = this.pending.get(session.guid);
    if (requestedBy === undefined) return refuse('E_BAD_MESSAGE', 'no recording was asked for');
    this.pending.delete(session.guid);
    if (action === 'refuse') {
      session.apply({ kind: 'recording_answer', by: me.id, answer: 'refused' });
      this.tellEveryone(session, { v: 1, type: 'recording', state: 'refused', from: me.id, name: me.name });
      return;
    }
    const consent = () => {
      if (session.ended || this.ctx.sessions.get(session.guid) !== session) return;
      session.apply({ kind: 'recording_answer', by: me.id, answer: 'consented' });
      this.start(session, { mode: 'on-request', requestedBy, consentedBy: me.id });
    };
    if (!this.ctx.bus.hasDurable) return consent();
    // Like a grant: the consent takes effect only once every durable subscriber (the audit log) has it.
    this.ctx.bus.confirm({ type: 'recording_answered', guid: session.guid, by: me, answer: 'consented' }).then(consent, (err: unknown) => {
      this.ctx.deps.log.error('recording.consent_not_recorded', { guid: session.guid, err });
      refuse('E_INTERNAL', 'the consent could not be recorded, so the recording did not start');
    });
  }

  /**
   * A message between other participants that a viewer does not get but the recording keeps: file offers and
   * their outcome (metadata only; the chunks are not recorded). In order with the recorder's other messages.
   */
  observe(session: LiveSession, msg: ServerMessage): void {
    const r = this.running.get(session.guid);
    if (r?.socket.open) this.ctx.sendControl(r.socket, msg);
  }

  /** SIGTERM: every recording here ends its segment (the session goes on elsewhere and records on there). */
  stopAll(): void {
    for (const r of this.running.values()) {
      r.socket.stopReason = { reason: 'gateway_shutdown' };
      r.socket.end();
    }
  }

  /**
   * Resolves once every recording file this gateway had open is flushed and closed, or after `timeoutMs`: a
   * stuck disk (a hung network mount) must not hold a draining gateway forever. What did not close is logged.
   */
  async settled(timeoutMs = SETTLE_TIMEOUT_MS): Promise<void> {
    if (this.closing.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const outcome = await Promise.race([Promise.all([...this.closing.values()]), gaveUp]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.ctx.deps.log.error('recording.not_flushed', { sessions: [...this.closing.keys()], waitedMs: timeoutMs });
  }

  private start(session: LiveSession, how: { mode: 'always' | 'on-request'; requestedBy?: string; consentedBy?: string; resume?: string }): void {
    if (session.ended || this.ctx.sessions.get(session.guid) !== session || this.running.has(session.guid)) return;
    const { log, now } = this.ctx.deps;
    const path = this.fileOf(session.guid);
    const startedAt = now();
    const file = new RecordingFile(path, (err) => this.failed(session, path, err), this.closing.get(session.guid));
    const socket = new RecorderSocket(
      file,
      startedAt,
      now,
      (bytes) => this.ctx.bulkOf(session).consumed(running.participantId, bytes),
      (s, stop) => this.ended(session, s, stop),
    );
    this.ctx.openSystemWriter(socket);
    const joined = how.resume
      ? session.apply({ kind: 'back', id: how.resume, conn: socket, resumeHash: '' })
      : session.apply({ kind: 'add', role: 'system', name: RECORDER_NAME, conn: socket, how: 'record' });
    if (!joined.ok) {
      void file.close();
      return;
    }
    const participantId = how.resume ?? joined.participant!.id;
    const running: Running = { socket, file, participantId };
    this.running.set(session.guid, running);
    const party = socket.party;
    party.session = session;
    party.participantId = participantId;
    party.phase = 'paired';
    this.ctx.bulkOf(session).restartReceiver(participantId);
    socket.start({
      format: 1,
      guid: session.guid,
      orgId: session.orgId,
      gateway: this.ctx.options.gatewayId,
      startedAt,
      mode: how.mode,
      recorder: participantId,
      requestedBy: how.requestedBy,
      consentedBy: how.consentedBy,
    });
    const asker = how.requestedBy ? session.participants.get(how.requestedBy) : undefined;
    this.ctx.deps.metrics.recordingsActive.set(this.running.size);
    log.info('recording.started', { guid: session.guid, mode: how.mode, recorder: participantId, requestedBy: how.requestedBy, file: path });
    this.tellEveryone(session, { v: 1, type: 'recording', state: 'on', recorder: participantId, from: asker?.id, name: asker?.name });
  }

  /** Ends a recording on purpose (or after a failure): the session core removes the recorder, which closes the file. */
  private stop(session: LiveSession, why: { reason: string; message?: string }): void {
    const r = this.running.get(session.guid);
    if (!r) return;
    r.socket.stopReason = why;
    // 'left': the recorder leaves like a technician leaving; partyLeft keeps the session (party.system).
    this.ctx.closeParty(r.socket, 1000, 'recording stopped', 'left');
  }

  private failed(session: LiveSession, path: string, err: Error): void {
    const code = (err as { code?: string }).code ?? 'EIO';
    // The operator's line names the file and the cause; the participants are told the cause, not our paths.
    this.ctx.deps.log.error('recording.write_failed', { guid: session.guid, file: path, code, err });
    const r = this.running.get(session.guid);
    if (!r) return;
    if (r.socket.open) this.stop(session, { reason: 'failed', message: `the gateway could not write the recording (${code}); the session goes on unrecorded` });
  }

  /** The recorder's socket closed (stopped, failed, too slow, session ended): say so, and let the file finish. */
  private ended(session: LiveSession, socket: RecorderSocket, stop: RecordingStop): void {
    const r = this.running.get(session.guid);
    if (r?.socket !== socket) return;
    this.running.delete(session.guid);
    const closing = r.file.close();
    this.closing.set(session.guid, closing);
    void closing.finally(() => this.closing.get(session.guid) === closing && this.closing.delete(session.guid));
    this.ctx.deps.log.info('recording.stopped', { guid: session.guid, reason: stop.reason, file: r.file.path });
    this.ctx.deps.metrics.recordingsActive.set(this.running.size);
    this.ctx.deps.metrics.recordingsStopped.inc({ reason: stop.reason });
    if (session.ended || stop.reason === 'gateway_shutdown') return;
    this.tellEveryone(session, { v: 1, type: 'recording', state: 'off', reason: stop.reason, message: stop.message });
  }

  private tellEveryone(session: LiveSession, msg: ServerMessage): void {
    for (const p of session.participants.values()) if (p.conn) this.ctx.send(p.conn, msg);
  }
}
