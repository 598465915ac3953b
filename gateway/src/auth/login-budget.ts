/**
 * Password checks a gateway starts per second for logins from addresses the username does not know: a token
 * bucket, refused before any scrypt work. Without it a flood from fresh addresses fills the check queue and
 * real logins wait seconds for it or are refused (issue 13: 100 logins/s made real logins take 5.6 s p50).
 * Per gateway, in memory: it protects this process's CPU, which is what scrypt uses.
 */
export class LoginBudget {
  readonly #perSecond: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  constructor(perSecond: number, now: () => number) {
    if (!Number.isInteger(perSecond) || perSecond < 1) throw new Error(`LoginBudget: perSecond must be a positive integer, got ${perSecond}`);
    this.#perSecond = perSecond;
    this.#now = now;
    this.#tokens = perSecond;
    this.#at = now();
  }

  /** Takes one check from the budget; false when this second's budget is spent. */
  take(): boolean {
    const now = this.#now();
    // A bucket of one second's worth: a burst of perSecond at once, then perSecond per second.
    this.#tokens = Math.min(this.#perSecond, this.#tokens + ((now - this.#at) / 1000) * this.#perSecond);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
