import { Histogram } from '../lib/histogram.js';

/** Latencies the session mix measures, each what a person would feel. */
export const latencyNames = ['pairing', 'first-picture', 'frame', 'chat', 'transfer'] as const;
export type LatencyName = (typeof latencyNames)[number];

export const counterNames = [
  'sessionsStarted',
  'sessionsCompleted',
  'sessionsFailed',
  'framesSent',
  'framesReceived',
  'screenBytesSent',
  'screenBytesReceived',
  'chatSent',
  'chatAnswered',
  'transferBytes',
  'transfersDone',
  'framesSkipped',
  'resyncs',
  'arrivalsSkipped',
] as const;
export type CounterName = (typeof counterNames)[number];

/** What one worker measured since its last report: histogram counts and counter increments (mergeable). */
export interface MetricsDelta {
  latencies: Partial<Record<LatencyName, ReturnType<Histogram['toJSON']>>>;
  counters: Partial<Record<CounterName, number>>;
  errors: Record<string, number>;
  /** Sessions running now (a level, not an increment). */
  running: number;
}

/** A worker's meters. `take()` returns what changed since the last take and starts over. */
export class MixMetrics {
  latencies = newLatencies();
  counters: Record<CounterName, number> = zeroCounters();
  errors = new Map<string, number>();
  running = 0;

  record(name: LatencyName, ms: number): void {
    this.latencies[name].record(ms * 1000);
  }

  add(name: CounterName, n = 1): void {
    this.counters[name] += n;
  }

  error(err: unknown): void {
    const e = err as { code?: string; message?: string };
    const key = `${e?.code ?? 'Error'}: ${String(e?.message ?? err).slice(0, 100)}`;
    if (this.errors.size < 20 || this.errors.has(key)) this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  take(): MetricsDelta {
    const delta: MetricsDelta = { latencies: {}, counters: {}, errors: Object.fromEntries(this.errors), running: this.running };
    for (const name of latencyNames) if (this.latencies[name].count > 0) delta.latencies[name] = this.latencies[name].toJSON();
    for (const name of counterNames) if (this.counters[name]) delta.counters[name] = this.counters[name];
    this.latencies = newLatencies();
    this.counters = zeroCounters();
    this.errors.clear();
    return delta;
  }
}

/** The coordinator's sum over every worker and report. */
export class MixTotals {
  readonly latencies = newLatencies();
  readonly counters: Record<CounterName, number> = zeroCounters();
  readonly errors = new Map<string, number>();
  /** Latest `running` per worker. */
  readonly running = new Map<number, number>();

  merge(worker: number, d: MetricsDelta): void {
    for (const [name, h] of Object.entries(d.latencies)) this.latencies[name as LatencyName].merge(Histogram.from(h));
    for (const [name, n] of Object.entries(d.counters)) this.counters[name as CounterName] += n;
    for (const [k, n] of Object.entries(d.errors)) this.errors.set(k, (this.errors.get(k) ?? 0) + n);
    this.running.set(worker, d.running);
  }

  get runningNow(): number {
    let n = 0;
    for (const v of this.running.values()) n += v;
    return n;
  }
}

function newLatencies(): Record<LatencyName, Histogram> {
  return Object.fromEntries(latencyNames.map((n) => [n, new Histogram()])) as Record<LatencyName, Histogram>;
}

function zeroCounters(): Record<CounterName, number> {
  return Object.fromEntries(counterNames.map((n) => [n, 0])) as Record<CounterName, number>;
}
