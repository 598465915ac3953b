import type { Registry } from '../registry/registry.js';
import type { LiveEvent } from './live-events.js';
import type { LiveSession } from './live-session.js';
import { toRecord } from './participant.js';

/**
 * Keeps the registry's copy of each live session's participants, grants and controller current, so consent
 * and everyone's place survive a move to another gateway. A subscriber of the live-event bus; the writes are
 * not awaited (relaying goes on while Redis is away; `background` logs a failure).
 */
export function sessionCopy(sessions: ReadonlyMap<string, LiveSession>, registry: Registry, background: (work: Promise<unknown>) => void) {
  return (event: LiveEvent): void => {
    switch (event.type) {
      case 'participant_joined':
        if (event.how === 'adopt' || event.how === 'join' || event.recorded) return; // already in the record
        break;
      case 'participant_left':
      case 'participant_back':
      case 'power_granted':
      case 'power_revoked':
      case 'control_passed':
        break;
      default:
        return;
    }
    const session = sessions.get(event.guid);
    if (!session || session.ended) return;
    background(
      registry.updateSession(
        session.guid,
        { states: ['waiting', 'active'] },
        { set: { participants: [...session.participants.values()].map(toRecord), grants: [...session.grants], controller: session.controller } },
      ),
    );
  };
}
