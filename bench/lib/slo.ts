/**
 * Pass/fail thresholds for a load test, e.g. `pairing.p99<250ms,frame.p99<100ms,errors<0.1%`, so a run can
 * gate a release in CI: the scenario exits with `sloExitCode` when one is missed.
 */
import { UsageError } from './options.js';

export const sloExitCode = 3;

export interface Slo {
  /** As written, for the report. */
  text: string;
  /** `pairing`, `frame`, … (a latency), or `errors` (a percentage of the work). */
  metric: string;
  /** p50, p90, p99, p999, max, mean; undefined for `errors`. */
  stat?: 'p50' | 'p90' | 'p99' | 'p999' | 'max' | 'mean';
  op: '<' | '<=';
  /** ms for latencies, percent for errors. */
  limit: number;
}

export interface SloResult extends Slo {
  measured: number | null;
  met: boolean;
}

const stats = ['p50', 'p90', 'p99', 'p999', 'max', 'mean'] as const;
const units: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000 };

/** Parses the comma-separated list; `known` are the latency metrics the scenario measures. */
export function parseSlos(text: string | undefined, known: readonly string[]): Slo[] {
  if (!text) return [];
  return text.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
    const m = /^([a-z][a-z-]*)(?:\.([a-z0-9]+))?\s*(<=|<)\s*([\d.]+)\s*(us|µs|ms|s|%)?$/i.exec(part);
    if (!m) throw new UsageError(`--slo "${part}": expected metric.stat<limit, e.g. pairing.p99<250ms or errors<0.1%`);
    const [, metric, stat, op, value, unit] = m as unknown as [string, string, string | undefined, '<' | '<=', string, string | undefined];
    const limit = Number(value);
    if (!Number.isFinite(limit)) throw new UsageError(`--slo "${part}": ${value} is not a number`);
    if (metric === 'errors') {
      if (stat || (unit && unit !== '%')) throw new UsageError(`--slo "${part}": errors take a percentage, e.g. errors<0.1%`);
      return { text: part, metric, op, limit };
    }
    if (!known.includes(metric)) throw new UsageError(`--slo "${part}": unknown metric "${metric}" (known: ${[...known, 'errors'].join(', ')})`);
    if (!stat || !(stats as readonly string[]).includes(stat)) throw new UsageError(`--slo "${part}": give a statistic (${stats.join(', ')}), e.g. ${metric}.p99<100ms`);
    if (!unit || unit === '%') throw new UsageError(`--slo "${part}": give a time unit (us, ms, s)`);
    return { text: part, metric, stat: stat as Slo['stat'], op, limit: limit * units[unit]! };
  });
}

/** Judges each threshold; `measure` answers ms (or percent for errors), null when nothing was measured. */
export function judgeSlos(slos: readonly Slo[], measure: (slo: Slo) => number | null): SloResult[] {
  return slos.map((slo) => {
    const measured = measure(slo);
    // Nothing measured is a miss: a run that made no pairings must not pass `pairing.p99<250ms`.
    const met = measured !== null && (slo.op === '<' ? measured < slo.limit : measured <= slo.limit);
    return { ...slo, measured, met };
  });
}
