import type { DeliveryClass } from '../../../protocol/channels.js';
import type { Outbox } from '../relay/outbox.js';
import { isGone, type Party, type PartySocket } from '../relay/party.js';
import type { Writer, WriteOutcome } from './writer.js';

export interface QueueLimits {
  /** Past this many queued bytes a receiver of control messages is disconnected (it is not reading). */
  reliableQueueBytes: number;
  /** Past this many queued bytes media (screen, cursor) is not accepted for the receiver. */
  droppableQueueBytes: number;
}

/**
 * The Writer of one party's connection (a uWS socket, or a party on another gateway behind a link stream,
 * whose getBufferedAmount() is the stream's unacknowledged bytes). Decides at once, from what is queued:
 * - media: refused while more than droppableQueueBytes wait (the screen module repairs the viewer later);
 * - control: a receiver with more than reliableQueueBytes waiting is not reading: `onOverflow` disconnects it,
 *   because silently losing chat, grants or input is worse than a clear disconnect;
 * - bulk: always accepted; its senders are held back by end-to-end credit (delivery/bulk-credit.ts), so what
 *   waits here is bounded by the credit window, and a receiver that reads is never disconnected.
 */
export class SocketWriter implements Writer {
  /** The socket's user data, held here: every getUserData() is a call into uWS's C++ (three per message before; part of 0.13 → 0.29 at 1 KiB, relay/outbox.ts). */
  private readonly party: Party;

  constructor(
    private readonly ws: PartySocket,
    private readonly outbox: Outbox,
    private readonly limits: QueueLimits,
    private readonly onOverflow: (ws: PartySocket) => void,
  ) {
    this.party = ws.getUserData();
  }

  get open(): boolean {
    return !isGone(this.party);
  }

  get queuedBytes(): number {
    // uWS throws on any use of a closed socket.
    return this.party.phase === 'closed' ? 0 : this.party.pendingBytes + this.ws.getBufferedAmount();
  }

  write(data: Uint8Array | string, isBinary: boolean, cls: DeliveryClass, tag = -1): WriteOutcome {
    const party = this.party;
    if (isGone(party)) return 'dropped';
    let queued = party.pendingBytes;
    // The socket's own buffer (a call into uWS) is read only when it can change the answer: bulk with something
    // already queued is 'queued' and accepted whatever uWS holds; that is every message of a batch but the first.
    if (queued === 0 || cls !== 'bulk') queued += this.ws.getBufferedAmount();
    if (cls === 'media' && queued > this.limits.droppableQueueBytes) return 'dropped';
    if (cls === 'control' && queued > this.limits.reliableQueueBytes) {
      this.onOverflow(this.ws);
      return 'dropped';
    }
    this.outbox.deliver(this.ws, data, isBinary, cls, tag, party);
    return queued === 0 ? 'sent' : 'queued';
  }
}
