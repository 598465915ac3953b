import type { ServerMessage } from '../../../protocol/messages.js';
import type { PartySocket } from '../relay/party.js';
import type { LiveEvent } from './live-events.js';
import type { LiveSession } from './live-session.js';
import { toInfo } from './participant.js';

/**
 * Tells the participants what changed in their session: who is in it and who holds control (to everyone, so
 * the customer always knows who is watching), the grants, and who lost its connection or is back.
 * A subscriber of the live-event bus.
 */
export function sessionNotices(sessions: ReadonlyMap<string, LiveSession>, send: (ws: PartySocket, msg: ServerMessage) => void) {
  return (event: LiveEvent): void => {
    const session = sessions.get(event.guid);
    if (!session || session.ended) return;
    switch (event.type) {
      case 'participant_joined':
        if (event.how !== 'adopt') announceParticipants(session, send);
        return;
      case 'participant_left':
      case 'control_passed':
      case 'path_changed':
        announceParticipants(session, send);
        return;
      case 'power_granted':
      case 'power_revoked': {
        const msg: ServerMessage = { v: 1, type: 'grants', powers: [...session.grants] };
        for (const p of session.participants.values()) if (p.conn) send(p.conn, msg);
        return;
      }
      case 'participant_lost': {
        if (!session.everPaired) return;
        const msg: ServerMessage = { v: 1, type: 'peer', state: 'reconnecting', id: event.participant.id };
        for (const p of session.participants.values()) if (p.conn && p !== event.participant) send(p.conn, msg);
        return;
      }
      case 'participant_back': {
        if (!session.everPaired) return;
        const msg: ServerMessage = { v: 1, type: 'peer', state: 'back', id: event.participant.id, newAddress: event.newAddress || undefined };
        for (const p of session.participants.values()) if (p.conn && p !== event.participant) send(p.conn, msg);
        return;
      }
      default:
        return;
    }
  };
}

export function announceParticipants(session: LiveSession, send: (ws: PartySocket, msg: ServerMessage) => void): void {
  const list = [...session.participants.values()].map(toInfo);
  for (const p of session.participants.values()) {
    if (p.conn) send(p.conn, { v: 1, type: 'participants', you: p.id, controller: session.controller, list });
  }
}
