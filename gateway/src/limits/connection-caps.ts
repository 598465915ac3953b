import { sourceAndPrefix } from '../auth/source-key.js';
import type { LimitName, LimitScope } from './limit-crossings.js';

export interface ConnectionCapLimits {
  /** Open connections per source address (IPv4, IPv6 /64) and per network (IPv4 /24, IPv6 /48). */
  perAddress: number;
  perPrefix: number;
  /** Connections that have not sent their first message yet, per address and per network. */
  unauthenticatedPerAddress: number;
  unauthenticatedPerPrefix: number;
  /** Cap loopback sources too (off: a local reverse proxy or load generator is one address). */
  capLoopback: boolean;
}

/** The caps from the configuration; 0 for a per-address or per-network cap means a share of maxConnections. */
export function connectionCapLimits(
  config: { connectionsPerAddress: number; connectionsPerPrefix: number; unauthenticatedPerAddress: number; unauthenticatedPerPrefix: number; capLoopback: boolean },
  maxConnections: number,
): ConnectionCapLimits {
  return {
    perAddress: config.connectionsPerAddress || Math.max(32, Math.floor(maxConnections * 0.02)),
    perPrefix: config.connectionsPerPrefix || Math.max(128, Math.floor(maxConnections * 0.1)),
    unauthenticatedPerAddress: config.unauthenticatedPerAddress,
    unauthenticatedPerPrefix: config.unauthenticatedPerPrefix,
    capLoopback: config.capLoopback,
  };
}

export interface Refusal {
  limit: Extract<LimitName, 'connections' | 'unauthenticated_connections'>;
  scope: Extract<LimitScope, 'address' | 'prefix'>;
  /** The address key or network that is full. */
  source: string;
}

interface Counted {
  source: string;
  prefix: string;
  /** Past its first message (no longer counted as unauthenticated). */
  greeted: boolean;
}

/**
 * Per-address and per-network caps on open WebSocket connections and on connections not yet past their
 * first message (issue 13: one address held 3,000 connections and real customers could not get in). One
 * gateway's own sockets, so plain counters in memory: `admit` counts a connection at the upgrade (reserve,
 * then accept), `greeted` when a message arrives, `closed` when it goes.
 */
export class ConnectionCaps {
  readonly #limits: ConnectionCapLimits;
  readonly #open = new Map<string, number>();
  readonly #unauthenticated = new Map<string, number>();
  /** Every admitted socket that is open, with what it was counted under. */
  readonly #sockets = new Map<object, Counted>();
  /** What admit() counted, until opened() ties it to the socket (uWS opens it within res.upgrade). */
  #pending: Counted | null = null;

  constructor(limits: ConnectionCapLimits) {
    for (const key of ['perAddress', 'perPrefix', 'unauthenticatedPerAddress', 'unauthenticatedPerPrefix'] as const) {
      if (!Number.isInteger(limits[key]) || limits[key] < 1) throw new Error(`ConnectionCaps: ${key} must be a positive integer, got ${limits[key]}`);
    }
    this.#limits = limits;
  }

  /** Counts a connection from `ip` about to be upgraded, or says which cap refuses it (nothing counted then). */
  admit(ip: string): Refusal | null {
    this.#pending = null;
    const { source, prefix } = sourceAndPrefix(ip);
    if (!this.#limits.capLoopback && isLoopback(source)) return null;
    const l = this.#limits;
    const refusal: Refusal | null =
      (this.#open.get(source) ?? 0) >= l.perAddress ? { limit: 'connections', scope: 'address', source }
      : (this.#open.get(prefix) ?? 0) >= l.perPrefix ? { limit: 'connections', scope: 'prefix', source: prefix }
      : (this.#unauthenticated.get(source) ?? 0) >= l.unauthenticatedPerAddress ? { limit: 'unauthenticated_connections', scope: 'address', source }
      : (this.#unauthenticated.get(prefix) ?? 0) >= l.unauthenticatedPerPrefix ? { limit: 'unauthenticated_connections', scope: 'prefix', source: prefix }
      : null;
    if (refusal) return refusal;
    for (const key of [source, prefix]) {
      bump(this.#open, key, 1);
      bump(this.#unauthenticated, key, 1);
    }
    this.#pending = { source, prefix, greeted: false };
    return null;
  }

  /** The socket admitted last is open. */
  opened(socket: object): void {
    if (this.#pending) this.#sockets.set(socket, this.#pending);
    this.#pending = null;
  }

  /**
   * Any message from `socket`: the first one ends its unauthenticated phase. Hot path: one Map lookup and a
   * boolean per message, no allocation.
   */
  greeted(socket: object): void {
    const counted = this.#sockets.get(socket);
    if (counted === undefined || counted.greeted) return;
    counted.greeted = true;
    bump(this.#unauthenticated, counted.source, -1);
    bump(this.#unauthenticated, counted.prefix, -1);
  }

  closed(socket: object): void {
    const counted = this.#sockets.get(socket);
    if (counted === undefined) return;
    this.#sockets.delete(socket);
    if (!counted.greeted) {
      bump(this.#unauthenticated, counted.source, -1);
      bump(this.#unauthenticated, counted.prefix, -1);
    }
    bump(this.#open, counted.source, -1);
    bump(this.#open, counted.prefix, -1);
  }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}

/** `source` as sourceAndPrefix names it: 127/8, or the IPv6 /64 that holds ::1. */
function isLoopback(source: string): boolean {
  return source.startsWith('127.') || source === '0:0:0:0::/64';
}
