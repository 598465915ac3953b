import net from 'node:net';
import { randomInt } from 'node:crypto';
import type tls from 'node:tls';
import type { TcpCandidate } from '../../../../protocol/path-signal.js';
import type { PeerIdentity } from './peer-identity.js';
import { secureOver } from './tcp-simultaneous-open.js';

/**
 * A birthday punch (RFC 5128 §3.3's port prediction, without a prediction): for a party behind a symmetric
 * NAT (a fresh random port per destination) and a party behind a NAT that keeps ports but filters by address
 * and port (Linux MASQUERADE), or one with UDP blocked. Neither can reach the other, and a simultaneous open
 * needs the peer's port, which a symmetric NAT does not tell. So:
 *
 * - the random side ("mappings") opens N connections to the other side's public address and announced port;
 *   each SYN dies at the other NAT, but leaves a mapping on its own NAT at a random public port;
 * - the port-keeping side ("probes") opens M connections from that announced port to M distinct random ports
 *   of the random side's public address; its NAT keeps the port, so each leaves a mapping the random side's
 *   SYNs match.
 *
 * When a probe's port is one of the N mapped ports the two SYNs cross as in a simultaneous open (whichever
 * arrives second finds the other NAT expecting it) and one TCP connection opens; TLS then runs on it like on
 * any direct TCP connection (the technician is the client; the fingerprint from the relay decides).
 *
 * Odds: with R = 64512 possible ports (Linux NAT picks source ports ≥ 1024 from 1024–65535), the chance that
 * no probe hits is C(R−N, M) / C(R, M) < e^(−N·M/R): N = 512, M = 1024 gives e^−8.1 ≈ 0.03 %, 1 run in ~3400.
 * Cost: at most N + M sockets for at most `windowMs`, opened BATCH per TICK_MS (M in about 160 ms), each SYN
 * retransmitted by the kernel at 1 s and 3 s: about 3 × 1536 SYNs of 60 bytes, 280 KB, once per session.
 */
export const NAT_PORTS = 65536 - 1024;
export const BIRTHDAY_MAPPINGS = 512;
export const BIRTHDAY_PROBES = 1024;
export const BIRTHDAY_WINDOW_MS = 3000;
const BATCH = 32;
const TICK_MS = 5;

export type BirthdayRole = { side: 'mappings'; peer: TcpCandidate } | { side: 'probes'; localPort: number; peerAddress: string };

export interface BirthdayOptions {
  windowMs?: number;
  mappings?: number;
  probes?: number;
}

/** The chance that at least one of `probes` distinct random ports is one of `mappings` ports out of `ports`. */
export function birthdayHitChance(mappings: number, probes: number, ports = NAT_PORTS): number {
  let miss = 1;
  for (let i = 0; i < probes; i++) miss *= (ports - mappings - i) / (ports - i);
  return 1 - miss;
}

/** `count` distinct ports from 1024–65535, uniformly (a symmetric NAT's choice is uniform there too). */
export function randomPorts(count: number): number[] {
  const ports = new Set<number>();
  const wanted = Math.min(count, NAT_PORTS);
  while (ports.size < wanted) ports.add(randomInt(1024, 65536));
  return [...ports];
}

export interface BirthdayPunch {
  /** Resolves when the window is over or stop() was called; every socket not handed to `take` is gone then. */
  readonly done: Promise<void>;
  /** Connections opened so far (the count the bounds promise). */
  readonly opened: number;
  stop(): void;
}

/**
 * Runs one side of a birthday punch: every connection that opens gets TLS and goes to `take` (several may,
 * the caller keeps one). Bounded in sockets (N or M) and in time (`windowMs`).
 */
export function birthdayPunch(identity: PeerIdentity, role: BirthdayRole, tlsClient: boolean, take: (socket: tls.TLSSocket) => void, options: BirthdayOptions = {}): BirthdayPunch {
  const windowMs = options.windowMs ?? BIRTHDAY_WINDOW_MS;
  const targets = role.side === 'mappings' ? Array.from({ length: options.mappings ?? BIRTHDAY_MAPPINGS }, () => role.peer.port) : randomPorts(options.probes ?? BIRTHDAY_PROBES);
  const host = role.side === 'mappings' ? role.peer.address : role.peerAddress;
  const waiting = new Set<net.Socket>();
  let opened = 0;
  let stopped = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let ticker: NodeJS.Timeout | undefined;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(ticker);
    clearTimeout(windowTimer);
    for (const s of waiting) s.destroy();
    waiting.clear();
    resolveDone();
  };
  const open = (port: number) => {
    opened++;
    // The probes all leave from the announced port (libuv binds with SO_REUSEADDR, so connections to
    // different destinations share it); the mappings from ephemeral ports: their NAT picks at random anyway.
    const raw = net.connect(role.side === 'probes' ? { host, port, localPort: role.localPort, localAddress: '0.0.0.0' } : { host, port });
    waiting.add(raw);
    raw.once('error', () => {
      waiting.delete(raw);
      raw.destroy();
    });
    raw.once('connect', () => {
      if (stopped) return void raw.destroy();
      // Still in `waiting` during the handshake: the window's end ends a handshake that hangs.
      secureOver(raw, identity, tlsClient, (secure) => {
        waiting.delete(raw);
        if (!secure) return;
        if (stopped) secure.destroy();
        else take(secure);
      });
    });
  };
  let next = 0;
  const tick = () => {
    for (let i = 0; i < BATCH && next < targets.length && !stopped; i++) open(targets[next++]!);
    if (next >= targets.length) clearInterval(ticker);
  };
  tick();
  ticker = setInterval(tick, TICK_MS);
  const windowTimer = setTimeout(stop, windowMs);
  return {
    done,
    get opened() {
      return opened;
    },
    stop,
  };
}
