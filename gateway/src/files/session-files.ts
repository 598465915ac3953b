import type { LiveEvent } from '../live/live-events.js';
import type { RelayContext } from '../relay/relay-context.js';
import { closeOffers } from './file-control.js';

/**
 * Stops file transfers the session no longer allows, at once: every one when the customer revokes `files`,
 * and a participant's when it leaves or loses its connection (bulk data in flight is not replayed after a
 * resume, so the file would arrive incomplete; the sender offers it again). A subscriber of the live-event bus.
 */
export function sessionFiles(ctx: Pick<RelayContext, 'sessions' | 'filesOf' | 'sendControl' | 'deps' | 'recordings'>) {
  return (event: LiveEvent): void => {
    const session = ctx.sessions.get(event.guid);
    if (!session) return;
    switch (event.type) {
      case 'power_revoked':
        if (event.power === 'files') closeOffers(ctx, session, ctx.filesOf(session).closeAll(), 'revoked');
        return;
      case 'participant_lost':
      case 'participant_left':
        closeOffers(ctx, session, ctx.filesOf(session).closeAll(event.participant.id), 'left');
        return;
      default:
        return;
    }
  };
}
