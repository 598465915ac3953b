import { LinkQuality, type LinkSnapshot } from './link-quality.js';
import { PathControl } from './path-framing.js';

/**
 * Keep-alive on a direct path: a ping every `intervalMs`, the path declared dead when nothing (no pong, no
 * data) arrived for `deadAfterMs`. 500 ms / 1500 ms keeps "back on the relay within 2 s" true with room for
 * the move itself. Each pong carries the ping's send time back, which gives the RTT; the last 20 pings give
 * the loss (a pong later than 1 s counts as lost) and the smoothed RTT the path judge reads (path-judge.ts).
 */
export const KEEPALIVE_INTERVAL_MS = 500;
export const DEAD_AFTER_MS = 1500;

export class Keepalive {
  private lastHeard = Date.now();
  private timer: NodeJS.Timeout | undefined;
  rttMs: number | undefined;
  private readonly quality = new LinkQuality(20, 1000);

  constructor(
    private readonly sendControl: (bytes: Uint8Array) => void,
    private readonly onDead: () => void,
    private readonly intervalMs = KEEPALIVE_INTERVAL_MS,
    private readonly deadAfterMs = DEAD_AFTER_MS,
  ) {}

  start(): void {
    this.lastHeard = Date.now();
    this.timer = setInterval(() => {
      if (Date.now() - this.lastHeard > this.deadAfterMs) {
        this.stop();
        this.onDead();
        return;
      }
      const ping = new Uint8Array(9);
      ping[0] = PathControl.ping;
      const now = performance.now();
      new DataView(ping.buffer).setFloat64(1, now);
      this.quality.sent(now, now);
      this.sendControl(ping);
    }, this.intervalMs);
    this.timer.unref?.();
  }

  /** Anything from the peer proves the path alive; a control message may be a ping (answered) or a pong. */
  heard(): void {
    this.lastHeard = Date.now();
  }

  control(bytes: Uint8Array): void {
    this.heard();
    if (bytes[0] === PathControl.ping && bytes.length === 9) {
      const pong = Uint8Array.from(bytes);
      pong[0] = PathControl.pong;
      this.sendControl(pong);
    } else if (bytes[0] === PathControl.pong && bytes.length === 9) {
      const sentAt = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(1);
      this.rttMs = performance.now() - sentAt;
      this.quality.answered(sentAt);
    }
  }

  /** Loss and smoothed RTT over the last pings. */
  snapshot(): LinkSnapshot {
    return this.quality.snapshot();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
