import type { Power } from '../protocol/channels.js';
import type { PartySocket } from './party.js';

/** A session with at least one party connected to this gateway. */
export class LocalSession {
  customer: PartySocket | null = null;
  technician: PartySocket | null = null;
  /** Powers the customer has granted; empty until the customer says otherwise (consent by default). */
  readonly grants = new Set<Power>();
  /** Last relayed message either way, for the idle timeout. */
  lastActivity: number;

  constructor(
    readonly guid: string,
    readonly orgId: string,
    readonly customerName: string,
    readonly expiresAt: number,
    /** When the customer joined: the start of the pairing-latency measurement. */
    readonly joinedAt: number,
  ) {
    this.lastActivity = joinedAt;
  }

  get paired(): boolean {
    return this.customer !== null && this.technician !== null;
  }

  peerOf(ws: PartySocket): PartySocket | null {
    return ws === this.customer ? this.technician : ws === this.technician ? this.customer : null;
  }
}
