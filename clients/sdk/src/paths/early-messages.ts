/**
 * Messages that arrive on a path before its user attached a handler (the peer's side of a negotiation can
 * finish first and send at once): kept in order, bounded, and handed over when the handler comes.
 */
const MAX_EARLY_MESSAGES = 4096;

export class EarlyMessages {
  private handler: ((channel: number, payload: Uint8Array) => void) | null = null;
  private backlog: [number, Uint8Array][] = [];

  /** Returns false when the backlog is full (the path should close: nobody is reading it). */
  deliver(channel: number, payload: Uint8Array): boolean {
    if (this.handler) {
      this.handler(channel, payload);
      return true;
    }
    if (this.backlog.length >= MAX_EARLY_MESSAGES) return false;
    this.backlog.push([channel, payload.slice()]);
    return true;
  }

  attach(handler: (channel: number, payload: Uint8Array) => void): void {
    this.handler = handler;
    const waiting = this.backlog;
    this.backlog = [];
    for (const [channel, payload] of waiting) handler(channel, payload);
  }
}
