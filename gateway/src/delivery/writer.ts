import type { DeliveryClass } from '../../../protocol/channels.js';

/**
 * What became of one write, known when it is made (never later), so the caller decides at once:
 * - sent: accepted with nothing ahead of it for this receiver;
 * - queued: accepted behind earlier data (the receiver is reading slower than we write);
 * - dropped: not accepted (media past the receiver's media budget, or the receiver is gone).
 */
export type WriteOutcome = 'sent' | 'queued' | 'dropped';

/**
 * One receiver's connection, as the session core sees it. The uWS socket (through the outbox), a party on
 * another gateway (a gateway-link stream) and, later, a direct path all implement it, so routing, the screen
 * module and bulk flow control never ask what kind of connection a participant has.
 */
export interface Writer {
  /**
   * `control` and `bulk` are never dropped while the receiver is there (bulk is bounded by credit flow
   * control upstream, control is small); past the receiver's hard cap the writer disconnects it.
   * `media` is dropped once the receiver has more than its media budget queued. `tag`: the channel id, for
   * per-channel metrics (negative for control messages).
   */
  write(data: Uint8Array | string, isBinary: boolean, cls: DeliveryClass, tag?: number): WriteOutcome;
  /** Bytes accepted for this receiver and not yet on the wire (ours and the socket's). */
  readonly queuedBytes: number;
  /** False once the receiver is gone; writes then return 'dropped'. */
  readonly open: boolean;
}
