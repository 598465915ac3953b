import type { DirectPath, SendResult } from './direct-path.js';
import { EarlyMessages } from './early-messages.js';
import { Keepalive } from './keepalive.js';
import type { LinkSnapshot } from './link-quality.js';
import { PATH_CONTROL_CHANNEL } from './path-framing.js';

/**
 * What every direct path does the same way, whatever carries it: keep-alive and RTT on channel 0, messages
 * kept until a reader is attached, close handlers run once. A transport supplies writing and teardown.
 */
export abstract class PathBase implements DirectPath {
  abstract readonly kind: DirectPath['kind'];
  abstract readonly description: string;
  abstract get bufferedAmount(): number;
  abstract send(channel: number, payload: Uint8Array): SendResult;
  /** Puts one message on the wire; false when the transport is backed up (or gone). */
  protected abstract write(channel: number, payload: Uint8Array): boolean;
  /** Tears the transport down (called once, from close). */
  protected abstract release(): void;

  protected closed = false;
  protected readonly keepalive = new Keepalive(
    (bytes) => void this.write(PATH_CONTROL_CHANNEL, bytes),
    () => this.close('keepalive timeout'),
  );
  private readonly inbox = new EarlyMessages();
  private closeHandlers: ((reason: string) => void)[] = [];

  /** One message from the peer: channel 0 to the keep-alive, the rest to the reader. */
  protected received(channel: number, payload: Uint8Array): void {
    this.keepalive.heard();
    if (channel === PATH_CONTROL_CHANNEL) this.keepalive.control(payload);
    else if (!this.inbox.deliver(channel, payload)) this.close('bad input: nobody reads the path');
  }

  get rttMs(): number | undefined {
    return this.keepalive.rttMs;
  }

  quality(): LinkSnapshot {
    return this.keepalive.snapshot();
  }

  onMessage(handler: (channel: number, payload: Uint8Array) => void): void {
    this.inbox.attach(handler);
  }

  onClose(handler: (reason: string) => void): void {
    this.closeHandlers.push(handler);
  }

  close(reason = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.keepalive.stop();
    this.release();
    for (const h of this.closeHandlers.splice(0)) h(reason);
  }
}
