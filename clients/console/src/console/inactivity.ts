/**
 * Logs the technician out after a period without keyboard or pointer use, unless a session is open (a
 * technician watching a customer's screen is not idle).
 */
export class InactivityTimer {
  private last = Date.now();
  private readonly interval: ReturnType<typeof setInterval>;
  private readonly onUse = () => (this.last = Date.now());
  private static readonly events = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart'] as const;

  constructor(
    private readonly limitMs: number,
    private readonly busy: () => boolean,
    private readonly onIdle: () => void,
  ) {
    for (const e of InactivityTimer.events) document.addEventListener(e, this.onUse, { passive: true, capture: true });
    this.interval = setInterval(() => {
      if (this.busy()) this.last = Date.now();
      else if (Date.now() - this.last >= this.limitMs) {
        this.stop();
        this.onIdle();
      }
    }, 1000);
  }

  touch(): void {
    this.last = Date.now();
  }

  stop(): void {
    clearInterval(this.interval);
    for (const e of InactivityTimer.events) document.removeEventListener(e, this.onUse, { capture: true });
  }
}
