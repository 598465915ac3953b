import { parsePathSignal } from '../../../protocol/path-signal.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';

/**
 * What the gateway does with a `signal` message about paths, before relaying it (the session core's signal
 * relay calls this): under the organisation policy `relayOnly` every path signal is dropped, so the parties
 * never learn each other's candidates and the session stays on the relay, where recording and content audit
 * see it; otherwise path signals pass, and a party's `using` announcement feeds the path metrics (sessions
 * by path, time to a direct path, moves, fallbacks and why). Other topics pass untouched.
 */
export interface PathPolicy {
  relayOnly(orgId: string): boolean;
}

export type SignalVerdict = 'forward' | 'drop';

export class PathSignalFilter {
  /** The path each session's technician last announced, for the sessions-by-path gauge. */
  private readonly pathOf = new Map<string, 'relay' | 'tcp' | 'udp'>();

  constructor(
    private readonly policy: PathPolicy,
    private readonly metrics: Pick<GatewayMetrics, 'pathSessions' | 'timeToDirect' | 'pathMoves' | 'pathFallbacks' | 'pathSignalsDropped'>,
  ) {}

  inspect(session: { guid: string; orgId: string }, from: 'customer' | 'technician', data: unknown): SignalVerdict {
    if ((data as { topic?: unknown } | null)?.topic !== 'path') return 'forward';
    if (this.policy.relayOnly(session.orgId)) {
      this.metrics.pathSignalsDropped.inc({ reason: 'relay_only' });
      return 'drop';
    }
    const signal = parsePathSignal(data);
    if (!signal) {
      this.metrics.pathSignalsDropped.inc({ reason: 'bad_signal' });
      return 'drop';
    }
    // Both parties announce; the technician's announcement is the one counted (one per session and move).
    if (signal.step === 'using' && from === 'technician') {
      const before = this.pathOf.get(session.guid) ?? 'relay';
      if (signal.path !== before) {
        this.metrics.pathSessions.dec({ path: before });
        this.metrics.pathSessions.inc({ path: signal.path });
        this.pathOf.set(session.guid, signal.path);
        if (signal.path === 'relay') this.metrics.pathFallbacks.inc({ from: before, reason: signal.reason ?? 'closed' });
        else this.metrics.pathMoves.inc({ to: signal.path });
      }
      if (signal.path !== 'relay' && signal.reason === 'found' && signal.ms !== undefined) this.metrics.timeToDirect.observe({ path: signal.path }, signal.ms / 1000);
    }
    return 'forward';
  }

  /** A session started (it runs on the relay) or ended (its path no longer counts). */
  opened(): void {
    this.metrics.pathSessions.inc({ path: 'relay' });
  }

  closed(guid: string): void {
    this.metrics.pathSessions.dec({ path: this.pathOf.get(guid) ?? 'relay' });
    this.pathOf.delete(guid);
  }
}
