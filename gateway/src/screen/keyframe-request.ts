/**
 * The session's one outstanding keyframe request to the agent (`{"type":"resync"}`). At most one is in
 * flight: the agent's answer repairs every viewer waiting at that moment, so asking again before it comes
 * would only make the agent encode the same keyframe twice. Unanswered after `timeoutMs` (the agent was busy,
 * its answer went to another gateway during a move, a bug), it is sent again. No timer of its own: the
 * router asks `due()` on each frame and on the session's tick.
 */
export class KeyframeRequest {
  /** When the outstanding request was sent; undefined when none is. */
  private sentAt: number | undefined;
  /** Requests sent, re-sends included. */
  sent = 0;
  /** Sum and count of answered requests' round trips (ms), for stats. */
  answeredMs = 0;
  answered = 0;

  constructor(
    private readonly send: () => void,
    private readonly timeoutMs: number,
  ) {}

  get outstanding(): boolean {
    return this.sentAt !== undefined;
  }

  /** Sends a request unless one is in flight and younger than the timeout. True when one was sent. */
  ask(now: number): boolean {
    if (this.sentAt !== undefined && now - this.sentAt < this.timeoutMs) return false;
    this.sentAt = now;
    this.sent++;
    this.send();
    return true;
  }

  /** Sends a request now even if one is in flight (it went to a connection that is gone). */
  resend(now: number): void {
    this.sentAt = undefined;
    this.ask(now);
  }

  /** A keyframe arrived: whatever was asked for is answered. */
  answer(now: number): void {
    if (this.sentAt === undefined) return;
    this.answeredMs += now - this.sentAt;
    this.answered++;
    this.sentAt = undefined;
  }
}
