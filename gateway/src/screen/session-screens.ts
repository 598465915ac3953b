import type { Writer } from '../delivery/writer.js';
import type { LiveEvent } from '../live/live-events.js';
import type { LiveSession } from '../live/live-session.js';
import type { GatewayDecoders } from './gateway-decoders.js';
import type { ScreenCounters } from './screen-counters.js';
import { ScreenRouter } from './screen-router.js';

/** An unanswered `resync` is sent again after this long (the agent encodes a 1080p keyframe in 15–270 ms, bench screen). */
export const KEYFRAME_TIMEOUT_MS = 3000;

export interface SessionScreensDeps {
  sessions: ReadonlyMap<string, LiveSession>;
  /** Sends `{"v":1,"type":"resync"}` to the session's customer (nothing when it is away). */
  resync(session: LiveSession): void;
  counters: ScreenCounters;
  /** The gateway's decoders; absent = every session repairs through the agent. */
  decoders?: GatewayDecoders;
  /** The media budget of the viewers' writers (droppableQueueBytes). */
  mediaBudgetBytes: number;
  now(): number;
}

/**
 * The screen module of every session this gateway runs, as a subscriber of the sessions' events: a session
 * gets its ScreenRouter with its first event, and the router's viewers follow `session.viewers()` (technicians
 * and system participants that are connected, once `view` is granted). Whoever joins, comes back on a new
 * connection or becomes a viewer by the grant is added, and so needs a picture; whoever leaves, loses its
 * connection or loses `view` is removed. The router's memory goes back when the session ends.
 */
export function sessionScreens(d: SessionScreensDeps): (event: LiveEvent) => void {
  const routers = new Map<string, { router: ScreenRouter; writers: Map<string, Writer> }>();
  return (event) => {
    if (event.type === 'ended') {
      routers.get(event.guid)?.router.close();
      routers.delete(event.guid);
      return;
    }
    const session = d.sessions.get(event.guid);
    if (!session || session.ended) return;
    let entry = routers.get(event.guid);
    if (!entry) {
      const router = new ScreenRouter({
        mediaBudgetBytes: d.mediaBudgetBytes,
        keyframeTimeoutMs: KEYFRAME_TIMEOUT_MS,
        requestKeyframe: () => d.resync(session),
        now: d.now,
        counters: d.counters,
        decoders: d.decoders,
      });
      entry = { router, writers: new Map() };
      routers.set(event.guid, entry);
      session.screen = router;
    }
    if (event.type === 'participant_back' && event.participant.role === 'customer') entry.router.customerBack();
    // Reconcile (events are rare next to frames, so a pass over the participants is fine here).
    const viewers = session.viewers();
    for (const p of viewers) {
      const writer = p.conn!.getUserData().writer;
      if (!writer || entry.writers.get(p.id) === writer) continue;
      entry.writers.set(p.id, writer);
      entry.router.addViewer(p.id, writer);
    }
    for (const id of entry.writers.keys()) {
      if (viewers.some((p) => p.id === id)) continue;
      entry.writers.delete(id);
      entry.router.removeViewer(id);
    }
  };
}
