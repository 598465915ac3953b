import { parsePathSignal } from '../../../protocol/path-signal.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';

/**
 * What the gateway does with a `signal` message about paths, before relaying it (relay/control.ts, after the
 * organisation policy: under `relayOnly` every signal is refused there, and counted here): a malformed path
 * signal is dropped; a party's `using` announcement becomes its participant's path (everyone in the session
 * sees it) and feeds the path metrics (time to a direct path, moves, fallbacks and why). Other topics pass.
 */
export type Path = 'relay' | 'tcp' | 'udp';

export interface SignalInspection {
  verdict: 'forward' | 'drop';
  /** The path the sender now uses, when the signal says so. */
  using?: Path;
}

export class PathSignalFilter {
  /** The technician's last announced path per session, so a move or a fallback is counted once. */
  private readonly technicianPath = new Map<string, Path>();

  constructor(private readonly metrics: Pick<GatewayMetrics, 'timeToDirect' | 'pathMoves' | 'pathMethods' | 'pathFallbacks' | 'pathSignalsDropped'>) {}

  /** A signal refused because the organisation keeps its sessions on the relay. */
  refusedByPolicy(): void {
    this.metrics.pathSignalsDropped.inc({ reason: 'relay_only' });
  }

  inspect(session: { guid: string }, from: 'customer' | 'technician', data: unknown): SignalInspection {
    if ((data as { topic?: unknown } | null)?.topic !== 'path') return { verdict: 'forward' };
    const signal = parsePathSignal(data);
    if (!signal) {
      this.metrics.pathSignalsDropped.inc({ reason: 'bad_signal' });
      return { verdict: 'drop' };
    }
    if (signal.step !== 'using') return { verdict: 'forward' };
    // Both parties announce; the technician's announcement is the one counted (one per session and move).
    if (from === 'technician') {
      const before = this.technicianPath.get(session.guid) ?? 'relay';
      if (signal.path !== before) {
        if (signal.path === 'relay') this.metrics.pathFallbacks.inc({ from: before, reason: signal.reason ?? 'closed' });
        else {
          this.metrics.pathMoves.inc({ to: signal.path });
          if (signal.method) this.metrics.pathMethods.inc({ method: signal.method });
        }
      }
      if (signal.path === 'relay') this.technicianPath.delete(session.guid);
      else this.technicianPath.set(session.guid, signal.path);
      if (signal.path !== 'relay' && signal.reason === 'found' && signal.ms !== undefined) this.metrics.timeToDirect.observe({ path: signal.path }, signal.ms / 1000);
    }
    return { verdict: 'forward', using: signal.path };
  }

  /** A session ended: forget it. */
  ended(guid: string): void {
    this.technicianPath.delete(guid);
  }
}

/** Sessions by path, once a second from the live sessions (a session is direct once any participant is). */
export function countSessionsByPath(sessions: Iterable<{ participants: ReadonlyMap<string, { path: Path }> }>, gauge: GatewayMetrics['pathSessions']): void {
  const counts: Record<Path, number> = { relay: 0, tcp: 0, udp: 0 };
  for (const s of sessions) {
    let path: Path = 'relay';
    for (const p of s.participants.values()) if (p.path !== 'relay') path = p.path;
    counts[path]++;
  }
  for (const [path, n] of Object.entries(counts)) gauge.set({ path }, n);
}
