import type { Party, PartySocket } from '../relay/party.js';
import type { LinkStream } from './link-stream.js';

/** uWS send() results, mirrored so the relay treats a remote party like a local socket. */
const SENT = 1;
const REFUSED = 2;

/**
 * A party connected to another gateway, seen through a gateway-link stream. It behaves like a uWS socket
 * for the relay: send() writes a frame, getBufferedAmount() is the stream's unacknowledged bytes (so the
 * slow-receiver rules of relay/deliver.ts apply across gateways), and end() calls `onClosed` synchronously,
 * as uWS calls its close handler inside end().
 */
export class RemotePartySocket implements PartySocket {
  private done = false;

  constructor(
    private readonly stream: LinkStream,
    private readonly party: Party,
    private readonly onClosed: (socket: RemotePartySocket) => void,
  ) {}

  getUserData(): Party {
    return this.party;
  }

  send(message: Uint8Array | ArrayBuffer | string, isBinary?: boolean): number {
    if (this.done || this.stream.closed) return REFUSED;
    if (typeof message === 'string') this.stream.sendText(message);
    else if (isBinary) this.stream.sendBinary(message instanceof Uint8Array ? message : new Uint8Array(message));
    else this.stream.sendText(Buffer.from(message instanceof Uint8Array ? message : new Uint8Array(message)).toString('utf8'));
    return SENT;
  }

  getBufferedAmount(): number {
    return this.stream.inflight;
  }

  end(code = 1000, reason = ''): void {
    if (this.done) return;
    this.stream.close(code, reason);
    this.finish();
  }

  /** The other gateway closed the stream (its party left, or the link died). */
  remoteClosed(): void {
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.onClosed(this);
  }
}
