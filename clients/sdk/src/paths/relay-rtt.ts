import { LinkQuality, type LinkSnapshot } from './link-quality.js';
import type { SignalChannel } from './signal-channel.js';

/**
 * The relay's round trip, for comparing a direct path with it: the signal `{"topic":"path","step":"ping","t"}`
 * through the gateway every `intervalMs` while running, answered by the peer's `pong` with the same `t`
 * (docs/protocol.md "Paths"). Answering is rate-limited, so a peer flooding pings gets at most one pong per
 * 250 ms.
 */
export const RELAY_PING_INTERVAL_MS = 2000;
const MIN_ANSWER_GAP_MS = 250;

export class RelayRtt {
  private readonly quality = new LinkQuality(10, 3 * RELAY_PING_INTERVAL_MS);
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastAnswer = -Infinity;

  constructor(
    private readonly signals: SignalChannel,
    private readonly intervalMs = RELAY_PING_INTERVAL_MS,
  ) {}

  /** Pings now and every `intervalMs` until stop(). */
  start(): void {
    if (this.timer) return;
    this.ping();
    this.timer = setInterval(() => this.ping(), this.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A path signal from the peer: its ping is answered, its pong measured. */
  signal(d: { step?: unknown; t?: unknown }): void {
    if (typeof d.t !== 'number' || !Number.isFinite(d.t)) return;
    if (d.step === 'pong') this.quality.answered(d.t);
    if (d.step === 'ping') {
      const now = performance.now();
      if (now - this.lastAnswer < MIN_ANSWER_GAP_MS) return;
      this.lastAnswer = now;
      this.signals.send({ topic: 'path', step: 'pong', t: d.t });
    }
  }

  snapshot(): LinkSnapshot {
    return this.quality.snapshot();
  }

  private ping(): void {
    // Rounded to µs: the gateway relays it as JSON, and the answer must name the same probe.
    const t = Math.round(performance.now() * 1000) / 1000;
    this.quality.sent(t, t);
    this.signals.send({ topic: 'path', step: 'ping', t });
  }
}
