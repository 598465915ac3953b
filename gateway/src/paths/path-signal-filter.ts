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

  /**
   * `senderAddress`: where the sender's connection comes from, as /v1/address tells it. A hello's public
   * address (`sim`, `symmetric`) must be that one: the peer aims a simultaneous open or a birthday punch's
   * 512 or 1024 SYNs at it, and must never be made to aim them at a third party's machine.
   */
  inspect(session: { guid: string }, from: 'customer' | 'technician', data: unknown, senderAddress?: string): SignalInspection {
    if ((data as { topic?: unknown } | null)?.topic !== 'path') return { verdict: 'forward' };
    const signal = parsePathSignal(data);
    if (!signal) {
      this.metrics.pathSignalsDropped.inc({ reason: 'bad_signal' });
      return { verdict: 'drop' };
    }
    const own = senderAddress?.startsWith('::ffff:') ? senderAddress.slice(7) : senderAddress;
    // Only where the gateway knows the address (a party bridged from another gateway may come as 'gateway-link').
    if (signal.step === 'hello' && own && /^\d{1,3}(\.\d{1,3}){3}$/.test(own) && [signal.sim?.address, signal.symmetric?.address].some((a) => a !== undefined && a !== own)) {
      this.metrics.pathSignalsDropped.inc({ reason: 'foreign_address' });
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
