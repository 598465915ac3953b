import client from 'prom-client';
import type { DropReason } from '../relay/drop-reasons.js';
import { repairKinds } from '../screen/screen-counters.js';

/**
 * All gateway metrics on one prom-client Registry per gateway (not the global one), so several gateways
 * can run in one test process. Label values are typed unions, so a metric label is never a free string.
 */
export function createGatewayMetrics(gatewayId: string) {
  const registry = new client.Registry();
  registry.setDefaultLabels({ gateway: gatewayId });
  // Event-loop lag sampled every 100 ms rather than prom-client's 10 ms: its 100 wake-ups a second cost a
  // gateway ~3 ms of CPU per second on the 2-core test machine, busy or idle (docs/benchmarks.md, pairing cost).
  client.collectDefaultMetrics({ register: registry, prefix: 'relaydesk_', eventLoopMonitoringPrecision: 100 });
  dropMisnamedGauges(registry);
  const m = {
    registry,
    transitions: new client.Counter({
      name: 'relaydesk_session_transitions_total',
      help: 'Session state changes, by new state and reason.',
      labelNames: ['to', 'reason'] as const,
      registers: [registry],
    }),
    liveSessions: new client.Gauge({
      name: 'relaydesk_local_sessions',
      help: 'Sessions with a party connected to this gateway, by state.',
      labelNames: ['state'] as const,
      registers: [registry],
    }),
    connections: new client.Gauge({
      name: 'relaydesk_connections',
      help: 'Open WebSocket connections, by role.',
      labelNames: ['role'] as const,
      registers: [registry],
    }),
    pairingSeconds: new client.Histogram({
      name: 'relaydesk_pairing_seconds',
      help: 'From the customer joining to a technician being paired with it (includes the wait for a technician).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30, 120, 600],
      registers: [registry],
    }),
    pickupSeconds: new client.Histogram({
      name: 'relaydesk_pickup_seconds',
      help: 'Gateway time to handle a pickup: token check, atomic claim, pairing.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    relayedMessages: new client.Counter({
      name: 'relaydesk_relayed_messages_total',
      help: 'Messages relayed between paired parties, by channel.',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    relayedBytes: new client.Counter({
      name: 'relaydesk_relayed_bytes_total',
      help: 'Bytes relayed between paired parties, by channel.',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    dropped: new client.Counter({
      name: 'relaydesk_dropped_messages_total',
      help: 'Messages not delivered, by reason.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    sessionEvents: new client.Counter({
      name: 'relaydesk_session_events_total',
      help: 'Events inside live sessions (participants joining, leaving, away and back; powers; control; anchor moves; endings), by type.',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    rejected: new client.Counter({
      name: 'relaydesk_rejected_total',
      help: 'Requests and messages refused with an error, by error code.',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    httpRequests: new client.Counter({
      name: 'relaydesk_http_requests_total',
      help: 'HTTP API requests, by route and status.',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    stunRequests: new client.Counter({
      name: 'relaydesk_stun_requests_total',
      help: 'Datagrams on the STUN endpoint, by outcome (answered, or why it was dropped).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    pathSessions: new client.Gauge({
      name: 'relaydesk_path_sessions',
      help: 'Paired sessions by the path their parties use (relay, tcp, udp), as the technician announced it.',
      labelNames: ['path'] as const,
      registers: [registry],
    }),
    timeToDirect: new client.Histogram({
      name: 'relaydesk_time_to_direct_seconds',
      help: 'From pickup to a direct path being usable, by path.',
      labelNames: ['path'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers: [registry],
    }),
    pathMoves: new client.Counter({
      name: 'relaydesk_path_moves_total',
      help: 'Sessions moved onto a direct path, by path.',
      labelNames: ['to'] as const,
      registers: [registry],
    }),
    pathMethods: new client.Counter({
      name: 'relaydesk_direct_paths_found_total',
      help: 'Direct paths found, by how: tcp (connect or simultaneous open), udp (hole punch), birthday (birthday punch).',
      labelNames: ['method'] as const,
      registers: [registry],
    }),
    pathFallbacks: new client.Counter({
      name: 'relaydesk_path_fallbacks_total',
      help: 'Sessions back on the relay from a direct path, by path and reason.',
      labelNames: ['from', 'reason'] as const,
      registers: [registry],
    }),
    pathSignalsDropped: new client.Counter({
      name: 'relaydesk_path_signals_dropped_total',
      help: 'Path signals not relayed, by reason (relay_only policy, bad_signal, foreign_address: a hello naming another machine as its public address).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    limitCrossings: new client.Counter({
      name: 'relaydesk_limit_crossings_total',
      help: 'Limit crossings (PIN guesses, logins, lockouts, connections, sessions), counted once per source and window.',
      labelNames: ['limit', 'scope'] as const,
      registers: [registry],
    }),
    screenFrames: new client.Counter({
      name: 'relaydesk_screen_frames_total',
      help: 'Screen frames for viewers, by outcome: delivered (repairs included) or dropped (the viewer was past its media budget; it is repaired once it drains).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    screenRepairs: new client.Counter({
      name: 'relaydesk_screen_repairs_total',
      help: `Viewers given a new picture after losing theirs, by kind: ${repairKinds.join(', ')}.`,
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    screenKeyframeRequests: new client.Counter({
      name: 'relaydesk_screen_keyframe_requests_total',
      help: 'Keyframe requests (resync) sent to agents, re-sends after a timeout included.',
      registers: [registry],
    }),
    screenDecoderBytes: new client.Gauge({
      name: 'relaydesk_screen_decoder_bytes',
      help: 'Framebuffer bytes held by gateway-side screen decoders (bounded by --screen-decoder-memory-mb).',
      registers: [registry],
    }),
    registryUp: new client.Gauge({
      name: 'relaydesk_registry_up',
      help: '1 while the session registry answers, else 0.',
      registers: [registry],
    }),
    linkQueuedBytes: new client.Gauge({
      name: 'relaydesk_link_queued_bytes',
      help: 'Bytes written to the gateway links and not yet taken by the kernel (bounded by the streams’ windows).',
      registers: [registry],
    }),
    recordingsActive: new client.Gauge({
      name: 'relaydesk_recordings_active',
      help: 'Sessions this gateway records now (docs/recording.md).',
      registers: [registry],
    }),
    recordingsStopped: new client.Counter({
      name: 'relaydesk_recordings_stopped_total',
      help: 'Recordings that ended, by reason: stopped, session_ended, failed (a write failed), slow (the disk did not keep up), gateway_shutdown.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    linkBackpressure: new client.Counter({
      name: 'relaydesk_link_backpressure_total',
      help: 'Times a gateway link’s socket buffer went past its high-water mark (counted once until it drains), by peer gateway.',
      labelNames: ['peer'] as const,
      registers: [registry],
    }),
  };
  return m;
}

/**
 * prom-client's default metrics include gauges named `…_total` (nodejs_active_handles_total and its
 * requests/resources siblings), which `promtool check metrics` rejects: "non-counter metrics should not
 * have _total suffix". Each is the sum of the labelled gauge beside it (`sum(relaydesk_nodejs_active_handles)`
 * gives the same figure), so they go rather than being renamed.
 */
function dropMisnamedGauges(registry: client.Registry): void {
  for (const metric of registry.getMetricsAsArray()) {
    const { name } = metric as unknown as { name: string };
    if (name.endsWith('_total') && !(metric instanceof client.Counter)) registry.removeSingleMetric(name);
  }
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
export type { DropReason };
