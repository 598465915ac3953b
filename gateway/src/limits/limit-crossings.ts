import type { Logger } from '../log/logger.js';
import type { Registry } from '../registry/registry.js';

/** Which limit was crossed; doubles as the `limit` label of relaydesk_limit_crossings_total. */
export type LimitName = 'pin_guesses' | 'login_attempts' | 'login_lockout' | 'connections' | 'unauthenticated_connections' | 'live_sessions';
/** Whose budget ran out; the `scope` label. */
export type LimitScope = 'address' | 'prefix' | 'global' | 'account' | 'technician' | 'organisation';

export interface LimitCrossingsDeps {
  /** Shared markers, so a cluster logs one line per source and window, not one per gateway. */
  registry: Pick<Registry, 'hit'>;
  log: Logger;
  /** Counts each reported crossing (the metric the Prometheus alert watches). */
  count?: (limit: LimitName, scope: LimitScope) => void;
  now: () => number;
}

/** Markers remembered in this process before the registry is asked again (bounds memory during a flood). */
const maxLocalMarkers = 10_000;

/**
 * Reports limit crossings: a warning and one count per limit, scope, source and window, however many
 * attempts are refused in that window (issue 13: log the crossing with its source, not every attempt).
 * A local memory of recent markers keeps a flood of refusals from becoming a flood of registry writes.
 */
export class LimitCrossings {
  readonly #deps: LimitCrossingsDeps;
  /** marker → end of its window; insertion order is age order, so the oldest go first. */
  readonly #recent = new Map<string, number>();

  constructor(deps: LimitCrossingsDeps) {
    this.#deps = deps;
  }

  /**
   * Reports that `source` crossed `limit` in `scope` (`source` is an address key, a prefix, 'all', or a
   * hashed account name). `fields` go into the log line (`address`: the address as seen; a `source` field
   * there replaces the key with something more readable). Never throws: a refusal must not become an error.
   */
  report(limit: LimitName, scope: LimitScope, source: string, windowMs: number, fields: Record<string, unknown> = {}): void {
    const marker = `crossed:${limit}:${scope}:${source}`;
    const now = this.#deps.now();
    const until = this.#recent.get(marker);
    if (until !== undefined && until > now) return;
    this.#remember(marker, now + windowMs, now);
    this.#deps.registry.hit(marker, windowMs).then(
      (n) => {
        if (n !== 1) return; // another gateway (or an earlier life of this one) reported it in this window
        this.#deps.count?.(limit, scope);
        this.#deps.log.warn('limit.crossed', { limit, scope, source, windowSeconds: Math.round(windowMs / 1000), ...fields });
      },
      (err: unknown) => this.#deps.log.debug('limit.report_failed', { limit, scope, err }),
    );
  }

  #remember(marker: string, until: number, now: number): void {
    this.#recent.delete(marker);
    this.#recent.set(marker, until);
    if (this.#recent.size <= maxLocalMarkers) return;
    for (const [m, end] of this.#recent) {
      if (this.#recent.size <= maxLocalMarkers / 2) break;
      if (end <= now || this.#recent.size > maxLocalMarkers) this.#recent.delete(m);
    }
  }
}
