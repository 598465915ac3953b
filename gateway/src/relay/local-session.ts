import type { Power } from '../protocol/channels.js';
import type { Role } from '../protocol/envelope.js';
import type { PartySocket } from './party.js';

/** A session run by this gateway (its anchor), with the parties connected here or over gateway links. */
export class LocalSession {
  customer: PartySocket | null = null;
  technician: PartySocket | null = null;
  /** Powers the customer has granted; empty until the customer says otherwise (consent by default). */
  readonly grants = new Set<Power>();
  /** Last relayed message either way, for the idle timeout. */
  lastActivity: number;
  /** Both parties have been connected once: from then on a lost connection suspends rather than ends. */
  everPaired = false;
  /** While a paired session misses a party that may resume: since when. */
  suspendedSince: number | null = null;

  constructor(
    readonly guid: string,
    readonly orgId: string,
    readonly customerName: string,
    readonly expiresAt: number,
    /** When the customer joined (or the session came to this gateway): the start of the pairing latency. */
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

  party(role: Role): PartySocket | null {
    return role === 'customer' ? this.customer : this.technician;
  }

  setParty(role: Role, ws: PartySocket | null): void {
    if (role === 'customer') this.customer = ws;
    else this.technician = ws;
  }
}
