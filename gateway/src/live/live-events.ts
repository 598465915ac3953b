import type { Power } from '../../../protocol/channels.js';
import type { CloseReason } from '../session/session-record.js';
import type { Participant, Path } from './participant.js';

/** What can happen inside a live session. Every change of a LiveSession is one of these (live-session.ts). */
export type LiveEvent =
  | {
      type: 'participant_joined';
      guid: string;
      participant: Participant;
      how: JoinHow;
      /** The registry's copy already has this participant (its handshake wrote it): no copy to write. */
      recorded?: boolean;
    }
  | { type: 'participant_left'; guid: string; participant: Participant; reason: CloseReason }
  | { type: 'participant_lost'; guid: string; participant: Participant }
  | { type: 'participant_back'; guid: string; participant: Participant; newAddress: boolean }
  | { type: 'power_requested'; guid: string; by: Participant; power: Power }
  | { type: 'power_granted'; guid: string; power: Power }
  | { type: 'power_revoked'; guid: string; power: Power }
  | { type: 'control_passed'; guid: string; from: string | null; to: string | null }
  | { type: 'anchor_moved'; guid: string; from: string | null; to: string }
  | { type: 'path_changed'; guid: string; participant: Participant; path: Path }
  | { type: 'ended'; guid: string; reason: CloseReason }
  /** The technician holding control asks the customer to let the session be recorded (policy `on-request`). */
  | { type: 'recording_requested'; guid: string; by: Participant }
  /** The customer's answer; a durable subscriber (the audit log) has a consent before the recorder joins. */
  | { type: 'recording_answered'; guid: string; by: Participant; answer: 'consented' | 'refused' };

/** How a participant came: `record` is the gateway's recorder (a system participant, gateway/src/recording/). */
export type JoinHow = 'join' | 'pickup' | 'attend' | 'adopt' | 'record';

export type LiveEventType = LiveEvent['type'];
export const liveEventTypes: readonly LiveEventType[] = [
  'participant_joined',
  'participant_left',
  'participant_lost',
  'participant_back',
  'power_requested',
  'power_granted',
  'power_revoked',
  'control_passed',
  'anchor_moved',
  'path_changed',
  'ended',
  'recording_requested',
  'recording_answered',
];

export type LiveListener = (event: LiveEvent) => void;
/** A subscriber that must have recorded an event before it takes effect (the audit log, for consent). */
export type DurableListener = (event: LiveEvent) => Promise<void>;

/**
 * The subscribers of every live session of this gateway: metrics, logs, notices to participants, the registry
 * copy, and later the audit log, the recorder and webhooks. A listener that throws is logged by the caller's
 * `onError` and does not stop the others.
 */
export class LiveEventBus {
  private readonly listeners: LiveListener[] = [];
  private readonly durable: DurableListener[] = [];

  constructor(private readonly onError: (err: unknown, event: LiveEvent) => void) {}

  on(listener: LiveListener): void {
    this.listeners.push(listener);
  }

  /** Registers a subscriber that consent changes wait for (see `confirm`). */
  onDurable(listener: DurableListener): void {
    this.durable.push(listener);
  }

  get hasDurable(): boolean {
    return this.durable.length > 0;
  }

  /** Resolves once every durable subscriber has the event; rejects (the change must not happen) if one fails. */
  async confirm(event: LiveEvent): Promise<void> {
    for (const listener of this.durable) await listener(event);
  }

  emit(event: LiveEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.onError(err, event);
      }
    }
  }
}
