/**
 * Round-trip time and loss of one link, from probes (keep-alive pings on a direct path, ping signals over the
 * relay): a sliding window of the last `window` probes, each answered (with its RTT) or lost once no answer
 * came within `lateAfterMs`, and a smoothed RTT (EWMA, as TCP's SRTT, RFC 6298: 1/8 of each new sample).
 * On a reliable transport (TLS over TCP, an SCTP data channel) nothing is dropped for good: a "lost" probe is
 * one whose answer is later than a path worth keeping would be.
 */
export interface LinkSnapshot {
  /** Probes decided (answered, or unanswered for `lateAfterMs`) in the window. */
  samples: number;
  /** Share of the decided probes that were not answered in time, 0..1 (0 while there are none). */
  loss: number;
  /** Smoothed RTT, ms; undefined before the first answer. */
  srttMs: number | undefined;
  /** Smallest RTT of the window's answered probes, ms: the link's own latency, without queueing behind data. */
  minRttMs: number | undefined;
}

interface Probe {
  id: number;
  at: number;
  rtt: number | undefined;
}

const SRTT_GAIN = 1 / 8;

export class LinkQuality {
  private readonly probes: Probe[] = [];
  private srtt: number | undefined;

  constructor(
    private readonly window = 20,
    private readonly lateAfterMs = 1000,
  ) {}

  /** A probe went out at `at` (ms, performance.now()); `id` comes back with its answer. */
  sent(id: number, at = performance.now()): void {
    this.probes.push({ id, at, rtt: undefined });
    if (this.probes.length > this.window) this.probes.shift();
  }

  /** An answer came; returns its RTT, or undefined for an unknown, repeated or too late answer. */
  answered(id: number, at = performance.now()): number | undefined {
    const probe = this.probes.find((p) => p.id === id);
    if (!probe || probe.rtt !== undefined || at - probe.at > this.lateAfterMs) return undefined;
    const rtt = at - probe.at;
    probe.rtt = rtt;
    this.srtt = this.srtt === undefined ? rtt : this.srtt + SRTT_GAIN * (rtt - this.srtt);
    return rtt;
  }

  snapshot(now = performance.now()): LinkSnapshot {
    let samples = 0;
    let lost = 0;
    let minRttMs: number | undefined;
    for (const p of this.probes) {
      if (p.rtt !== undefined) {
        samples++;
        minRttMs = Math.min(minRttMs ?? Infinity, p.rtt);
      } else if (now - p.at > this.lateAfterMs) {
        samples++;
        lost++;
      }
    }
    return { samples, loss: samples ? lost / samples : 0, srttMs: this.srtt, minRttMs };
  }
}
