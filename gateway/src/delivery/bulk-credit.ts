/**
 * End-to-end credit flow control for the bulk channels (file, data). A sender may have at most `window` bytes
 * that one of its receivers has not consumed yet. Receivers say how much bulk data they consumed (`credit`
 * messages, just a byte count: a receiver cannot tell whose frames it read, the gateway can, because it
 * forwarded them in order); the gateway turns the slowest receiver's progress into credit for each sender.
 * So a slow receiver slows its sender, and what waits in the gateway for any receiver stays within one window
 * per sender: a receiver that reads is never disconnected.
 *
 * A sender's (re)connection starts a new epoch with a fresh window (what was in flight on the old connection
 * is not counted any more); a receiver's reconnection clears what it still owed (that data went with its old
 * connection). Owned by one LiveSession; runs on the event loop.
 */
interface SenderState {
  epoch: number;
  /** Bulk bytes forwarded from this sender in this epoch. */
  sent: number;
  /** The offset it may send up to in this epoch. */
  granted: number;
}

/** Forwarded and not yet consumed by one receiver: consecutive frames of one sender are merged into one entry. */
interface Owed {
  sender: string;
  epoch: number;
  bytes: number;
}

export class BulkCredit {
  private readonly senders = new Map<string, SenderState>();
  /** Per receiver, in the order forwarded. */
  private readonly owed = new Map<string, Owed[]>();
  private nextEpoch = 1;

  constructor(
    readonly window: number,
    /** Tells a sender it may send `bytes` more. */
    private readonly grant: (senderId: string, bytes: number) => void,
  ) {}

  /** A sender's (new) connection: a new epoch from 0 and a whole window of credit. */
  startSender(senderId: string): void {
    this.senders.set(senderId, { epoch: this.nextEpoch++, sent: 0, granted: this.window });
    this.grant(senderId, this.window);
  }

  /** A receiver's (new) connection: what it owed is gone with the old one. */
  restartReceiver(receiverId: string): void {
    const owed = this.owed.get(receiverId);
    this.owed.delete(receiverId);
    if (owed) for (const sender of new Set(owed.map((o) => o.sender))) this.regrant(sender);
  }

  /** A participant left: it neither sends nor holds anyone back any more. */
  forget(participantId: string): void {
    this.senders.delete(participantId);
    this.restartReceiver(participantId);
  }

  /**
   * May `senderId` send `bytes` more to `receivers`? Counts them when it may. False means the sender ignored
   * its credit: the frame must not be forwarded (E_FLOW_CONTROL).
   */
  allow(senderId: string, bytes: number, receivers: readonly { readonly id: string }[], count = receivers.length): boolean {
    const s = this.senders.get(senderId);
    if (!s || s.sent + bytes > s.granted) return false;
    s.sent += bytes;
    for (let i = 0; i < count; i++) {
      const r = receivers[i]!.id;
      let list = this.owed.get(r);
      if (!list) this.owed.set(r, (list = []));
      const last = list[list.length - 1];
      if (last && last.sender === senderId && last.epoch === s.epoch) last.bytes += bytes;
      else list.push({ sender: senderId, epoch: s.epoch, bytes });
    }
    return true;
  }

  /** `receiverId` consumed `bytes` more bulk data (whoever sent it: the oldest owed comes first). */
  consumed(receiverId: string, bytes: number): void {
    const list = this.owed.get(receiverId);
    if (!list) return;
    const touched = new Set<string>();
    let left = bytes;
    while (left > 0 && list.length > 0) {
      const head = list[0]!;
      const part = Math.min(left, head.bytes);
      head.bytes -= part;
      left -= part;
      touched.add(head.sender);
      if (head.bytes === 0) list.shift();
    }
    // More than was ever sent to it: a confused or hostile client; the excess is ignored.
    for (const sender of touched) this.regrant(sender);
  }

  /** The sender may go up to: what it sent, plus the window, less what its slowest receiver still owes. */
  private regrant(senderId: string): void {
    const s = this.senders.get(senderId);
    if (!s) return;
    let worst = 0;
    for (const list of this.owed.values()) {
      let owed = 0;
      for (const o of list) if (o.sender === senderId && o.epoch === s.epoch) owed += o.bytes;
      if (owed > worst) worst = owed;
    }
    const granted = s.sent + this.window - worst;
    if (granted > s.granted) {
      const more = granted - s.granted;
      s.granted = granted;
      this.grant(senderId, more);
    }
  }
}
