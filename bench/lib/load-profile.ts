/**
 * Ramp control: runs a task again and again under a load profile, always bounded in count and time.
 * - closed loop (rate 0): `concurrency` tasks in flight, each replaced as it finishes (finds the peak);
 * - open loop (rate > 0): tasks start on a schedule (rising linearly over `rampUpSeconds`, then flat),
 *   whatever the latency, up to `concurrency` in flight; a start that finds no free slot counts as `late`.
 */
export interface LoadProfile {
  /** Starts per second; 0 = closed loop. */
  rate: number;
  rampUpSeconds: number;
  /** Stop starting new tasks after this long. */
  durationSeconds: number;
  /** Stop after this many starts. */
  count: number;
  /** Most tasks in flight. */
  concurrency: number;
  /** After the last start, how long to wait for tasks still in flight. */
  drainSeconds?: number;
  /** Open loop: a start that finds every slot busy waits for one instead of being skipped (exact counts). */
  queueLate?: boolean;
}

export interface DriveResult {
  started: number;
  completed: number;
  failed: number;
  /** Open loop: scheduled starts that found every slot busy and were skipped. */
  late: number;
  /** First start to last completion (or drain timeout). */
  elapsedMs: number;
  /** Tasks still running when the drain timed out (their outcome is unknown). */
  abandoned: number;
}

export async function drive(profile: LoadProfile, task: (index: number) => Promise<void>, onError: (err: unknown) => void): Promise<DriveResult> {
  const t0 = performance.now();
  const stopAt = t0 + profile.durationSeconds * 1000;
  let started = 0;
  let completed = 0;
  let failed = 0;
  let late = 0;
  let inFlight = 0;
  let lastDone = t0;
  let wake: (() => void) | null = null;

  const launch = () => {
    const i = started++;
    inFlight++;
    task(i).then(
      () => {
        completed++;
      },
      (err: unknown) => {
        failed++;
        onError(err);
      },
    ).finally(() => {
      inFlight--;
      lastDone = performance.now();
      wake?.();
    });
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });

  if (profile.rate <= 0) {
    while (performance.now() < stopAt && started < profile.count) {
      while (inFlight < profile.concurrency && started < profile.count) launch();
      await sleep(Math.max(1, stopAt - performance.now()));
    }
  } else {
    const ramp = profile.rampUpSeconds * 1000;
    // Starts due after t ms: the integral of the rate, linear during the ramp, flat after it.
    const due = (t: number) => (t < ramp ? (profile.rate * t * t) / (2 * ramp) / 1000 : (profile.rate * (t - ramp / 2)) / 1000);
    while (performance.now() < stopAt && started + late < profile.count) {
      const owed = Math.min(profile.count, Math.floor(due(performance.now() - t0))) - started - late;
      for (let k = 0; k < owed; k++) {
        if (inFlight < profile.concurrency) launch();
        else if (profile.queueLate) break;
        else late++;
      }
      await sleep(2);
    }
  }
  const drainUntil = performance.now() + (profile.drainSeconds ?? 10) * 1000;
  while (inFlight > 0 && performance.now() < drainUntil) await sleep(Math.max(1, drainUntil - performance.now()));
  wake = null;
  return { started, completed, failed, late, elapsedMs: (inFlight > 0 ? performance.now() : lastDone) - t0, abandoned: inFlight };
}

/** Events per time slot, for "throughput over time" charts. */
export class Timeline {
  private readonly t0 = performance.now();
  readonly counts: number[] = [];
  readonly errors: number[] = [];

  constructor(readonly slotMs = 500) {}

  mark(n = 1, error = false): void {
    const slot = Math.floor((performance.now() - this.t0) / this.slotMs);
    const arr = error ? this.errors : this.counts;
    while (arr.length <= slot) arr.push(0);
    arr[slot]! += n;
  }

  /** [seconds since start, events per second] per slot. */
  perSecond(error = false): [number, number][] {
    const arr = error ? this.errors : this.counts;
    return arr.map((c, i) => [((i + 1) * this.slotMs) / 1000, (c * 1000) / this.slotMs]);
  }
}
