/**
 * The live progress line: on a terminal one line rewritten in place every `intervalMs`; otherwise (CI, a
 * pipe) a plain line per interval so logs stay readable. `quiet` prints nothing (tests).
 */
export class Progress {
  private timer: NodeJS.Timeout | null = null;
  private lastLen = 0;
  private readonly tty: boolean;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly line: () => string,
    private readonly options: { quiet?: boolean; intervalMs?: number; stream?: NodeJS.WriteStream } = {},
  ) {
    this.tty = Boolean((options.stream ?? process.stderr).isTTY);
  }

  start(): this {
    if (this.options.quiet) return this;
    this.timer = setInterval(() => this.print(false), this.options.intervalMs ?? (this.tty ? 250 : 1000));
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.options.quiet) this.print(true);
  }

  private print(final: boolean): void {
    const stream = this.options.stream ?? process.stderr;
    const text = `${this.label} ${((Date.now() - this.started) / 1000).toFixed(1).padStart(5)}s  ${this.line()}`;
    if (this.tty) {
      stream.write(`\r${text.padEnd(this.lastLen)}${final ? '\n' : ''}`);
      this.lastLen = text.length;
    } else stream.write(`${text}\n`);
  }
}

/** Events per second over a sliding window of whole 250 ms slots (the "current rate" in progress lines). */
export class RateMeter {
  private readonly slots = new Float64Array(8);
  private slot = -1;

  mark(n = 1, now = Date.now()): void {
    this.advance(now);
    this.slots[this.slot % this.slots.length]! += n;
  }

  /** Over the last ~2 s. */
  perSecond(now = Date.now()): number {
    this.advance(now);
    let sum = 0;
    for (let i = 1; i < this.slots.length; i++) sum += this.slots[(this.slot - i + this.slots.length * 2) % this.slots.length]!;
    return sum / (((this.slots.length - 1) * 250) / 1000);
  }

  private advance(now: number): void {
    const s = Math.floor(now / 250);
    if (this.slot < 0 || s - this.slot >= this.slots.length) {
      this.slots.fill(0); // first mark, or a gap longer than the window
      this.slot = s;
    }
    while (this.slot < s) {
      this.slot++;
      this.slots[this.slot % this.slots.length] = 0;
    }
  }
}
