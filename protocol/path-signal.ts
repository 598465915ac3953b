/** Where a party listens for direct TCP. */
export interface TcpCandidate {
  address: string;
  port: number;
}

/** A WebRTC offer or answer (it carries the DTLS certificate fingerprint). */
export interface SessionDescription {
  type: 'offer' | 'answer';
  sdp: string;
}

/**
 * What the two parties tell each other about direct paths, inside the session's generic `signal` message
 * (`{"type":"signal","data":{…}}`, docs/protocol.md "Paths"). The relay is the authenticated channel: the
 * certificate fingerprint in `hello` and the DTLS fingerprint inside the SDP are trusted because they came
 * this way, never from the direct path itself. Shared by the SDK (which sends and reads them) and the gateway
 * (which drops them under the relayOnly policy and counts the `using` announcements).
 */
export type PathSignal =
  | { topic: 'path'; step: 'hello'; fingerprint: string; tcp: TcpCandidate[]; udp: boolean; sim?: TcpCandidate; symmetric?: { address: string } }
  | { topic: 'path'; step: 'offer'; description: SessionDescription }
  | { topic: 'path'; step: 'answer'; description: SessionDescription }
  /** Ready for a birthday punch (clients/sdk/src/paths/tcp-birthday.ts): both start when both said so. */
  | { topic: 'path'; step: 'punch' }
  /** The relay's round trip, measured while a direct path is in use (clients/sdk/src/paths/relay-rtt.ts). */
  | { topic: 'path'; step: 'ping' | 'pong'; t: number }
  | { topic: 'path'; step: 'using'; path: 'relay' | 'tcp' | 'udp'; ms?: number; reason?: PathChangeReason; method?: PathMethod };

/** How a direct path was found: direct TCP (connect or simultaneous open), the UDP hole punch, a birthday punch. */
export const pathMethods = ['tcp', 'udp', 'birthday'] as const;
export type PathMethod = (typeof pathMethods)[number];

/**
 * Why a session is on the path it says it uses: also the `reason` label of the gateway's fallback metric,
 * so it is a closed list. found = negotiation ended here; the rest are ways back to the relay (loss and
 * worse_than_relay: the path judge found the direct path no longer better, clients/sdk/src/paths/path-judge.ts).
 */
export const pathChangeReasons = ['found', 'keepalive_timeout', 'closed', 'bad_input', 'ice_failed', 'policy', 'requested', 'loss', 'worse_than_relay'] as const;
export type PathChangeReason = (typeof pathChangeReasons)[number];

const MAX_CANDIDATES = 16;
const MAX_SDP = 12 * 1024; // the signal message is at most 16 KiB
const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function candidate(c: unknown): TcpCandidate | null {
  const { address, port } = (c ?? {}) as Record<string, unknown>;
  const m = typeof address === 'string' ? ipv4.exec(address) : null;
  if (!m || m.slice(1).some((o) => Number(o) > 255) || !Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) return null;
  return { address: address as string, port: port as number };
}

/** Strict check of a signal from the peer: anything else is null (ignored and counted by the caller). */
export function parsePathSignal(data: unknown): PathSignal | null {
  if (!data || typeof data !== 'object') return null;
  const d = data as Record<string, unknown>;
  if (d.topic !== 'path') return null;
  switch (d.step) {
    case 'hello': {
      if (typeof d.fingerprint !== 'string' || !/^[0-9a-f]{64}$/.test(d.fingerprint) || typeof d.udp !== 'boolean') return null;
      if (!Array.isArray(d.tcp) || d.tcp.length > MAX_CANDIDATES) return null;
      const tcp: TcpCandidate[] = [];
      for (const c of d.tcp as unknown[]) {
        const checked = candidate(c);
        if (!checked) return null;
        tcp.push(checked);
      }
      // sim: public address and port for a TCP simultaneous open (both parties behind NAT).
      let sim: TcpCandidate | undefined;
      if (d.sim !== undefined) {
        const c = candidate(d.sim);
        if (!c) return null;
        sim = c;
      }
      // symmetric: behind a NAT that picks a fresh port per destination, at this public address (a birthday punch).
      let symmetric: { address: string } | undefined;
      if (d.symmetric !== undefined) {
        const c = candidate({ address: (d.symmetric as { address?: unknown } | null)?.address, port: 1 });
        if (!c) return null;
        symmetric = { address: c.address };
      }
      return { topic: 'path', step: 'hello', fingerprint: d.fingerprint, tcp, udp: d.udp, ...(sim ? { sim } : {}), ...(symmetric ? { symmetric } : {}) };
    }
    case 'offer':
    case 'answer': {
      const desc = d.description as Record<string, unknown> | undefined;
      if (!desc || desc.type !== d.step || typeof desc.sdp !== 'string' || desc.sdp.length > MAX_SDP) return null;
      return d.step === 'offer' ? { topic: 'path', step: 'offer', description: { type: 'offer', sdp: desc.sdp } } : { topic: 'path', step: 'answer', description: { type: 'answer', sdp: desc.sdp } };
    }
    case 'punch':
      return { topic: 'path', step: 'punch' };
    case 'ping':
    case 'pong':
      // t: the pinging side's clock (ms), echoed; only a finite, non-negative number of sane size.
      if (typeof d.t !== 'number' || !Number.isFinite(d.t) || d.t < 0 || d.t > 1e12) return null;
      return { topic: 'path', step: d.step, t: d.t };
    case 'using': {
      if (d.path !== 'relay' && d.path !== 'tcp' && d.path !== 'udp') return null;
      const ms = Number.isInteger(d.ms) && (d.ms as number) >= 0 && (d.ms as number) < 3_600_000 ? (d.ms as number) : undefined;
      const reason = (pathChangeReasons as readonly unknown[]).includes(d.reason) ? (d.reason as PathChangeReason) : undefined;
      const method = (pathMethods as readonly unknown[]).includes(d.method) ? (d.method as PathMethod) : undefined;
      return { topic: 'path', step: 'using', path: d.path, ms, reason, ...(method ? { method } : {}) };
    }
    default:
      return null;
  }
}
