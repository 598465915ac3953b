import type { GatewayMetrics } from '../metrics/gateway-metrics.js';

/**
 * How a viewer that lost its picture got a new one. Also the `kind` label of relaydesk_screen_repairs_total.
 * - agent_keyframe: a keyframe from the agent (its answer to `resync`, or a keyframe it sent anyway);
 * - gateway_keyframe: `Decoder.keyframe()` of the session's gateway decoder (a viewer with no picture);
 * - merged_delta: `Decoder.deltaSince()`: every tile changed since the viewer's last frame, in one packet.
 */
export type RepairKind = 'agent_keyframe' | 'gateway_keyframe' | 'merged_delta';
export const repairKinds: readonly RepairKind[] = ['agent_keyframe', 'gateway_keyframe', 'merged_delta'];

/** What became of one screen frame for one viewer. The `outcome` label of relaydesk_screen_frames_total. */
export type ScreenFrameOutcome = 'delivered' | 'dropped';

/** The smallest counter shape: a prom-client child (`counter.labels(…)`) fits, and so does a test double. */
export interface Count {
  inc(n?: number): void;
}

/** Pre-bound counters, shared by every session of a gateway: the hot path never looks a label up. */
export interface ScreenCounters {
  /** Frames handed to a viewer's writer (a repair counts as one). */
  delivered: Count;
  /** Frames a viewer did not get because its queue was past the media budget (it is then repaired). */
  dropped: Count;
  repairs: Record<RepairKind, Count>;
  /** `{"type":"resync"}` sent to the agent (re-sends after a timeout included). */
  keyframeRequests: Count;
}

const nothing: Count = { inc() {} };
export const noScreenCounters: ScreenCounters = {
  delivered: nothing,
  dropped: nothing,
  repairs: { agent_keyframe: nothing, gateway_keyframe: nothing, merged_delta: nothing },
  keyframeRequests: nothing,
};

/** Binds the gateway's screen metrics once (at start-up), for every ScreenRouter of that gateway. */
export function bindScreenCounters(m: Pick<GatewayMetrics, 'screenFrames' | 'screenRepairs' | 'screenKeyframeRequests' | 'dropped'>): ScreenCounters {
  const dropped = m.screenFrames.labels('dropped');
  // A screen frame not sent for backpressure is also one of the gateway's dropped messages (docs/protocol.md).
  const backpressure = m.dropped.labels('backpressure');
  return {
    delivered: m.screenFrames.labels('delivered'),
    dropped: {
      inc(n?: number) {
        dropped.inc(n);
        backpressure.inc(n);
      },
    },
    repairs: { agent_keyframe: m.screenRepairs.labels('agent_keyframe'), gateway_keyframe: m.screenRepairs.labels('gateway_keyframe'), merged_delta: m.screenRepairs.labels('merged_delta') },
    keyframeRequests: m.screenKeyframeRequests,
  };
}
