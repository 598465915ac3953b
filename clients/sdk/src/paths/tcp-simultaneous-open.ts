import net from 'node:net';
import tls from 'node:tls';
import type { PeerIdentity } from './peer-identity.js';

/**
 * TCP simultaneous open (RFC 9293 §3.5) for two parties both behind NAT: each connects from a port chosen in
 * advance to the other's public address and that same port number (a NAT that keeps ports, as most do, maps
 * it unchanged; the gateway's STUN shows whether ours does). The SYNs cross: each NAT has seen its own side's
 * SYN go out, so it lets the other's in, and both ends complete one connection. No listener is involved, so
 * neither side needs to be reachable. TLS then runs on it with the technician as the client.
 */
export const SIMULTANEOUS_OPEN_MS = 2500;

/** A local port free right now, for the simultaneous open (told to the peer before it is used). */
export function reserveLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '0.0.0.0', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Connects from `localPort` to the peer's public address and port; resolves with the TLS socket (not yet
 * checked against the peer's fingerprint: the caller does that) or null when nothing connected in time.
 */
export function simultaneousOpen(identity: PeerIdentity, localPort: number, peer: { address: string; port: number }, tlsClient: boolean, timeoutMs = SIMULTANEOUS_OPEN_MS): Promise<tls.TLSSocket | null> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (socket: tls.TLSSocket | null) => {
      if (settled) return void socket?.destroy();
      settled = true;
      clearTimeout(timer);
      resolve(socket);
    };
    // One SYN (the kernel retransmits it at 1 s): a second connect from the same port would fail as in use.
    const raw = net.connect({ host: peer.address, port: peer.port, localPort, localAddress: '0.0.0.0' });
    const timer = setTimeout(() => {
      raw.destroy();
      finish(null);
    }, timeoutMs);
    timer.unref();
    raw.once('error', () => finish(null));
    raw.once('connect', () => secureOver(raw, identity, tlsClient, finish));
  });
}

/**
 * TLS 1.3 on a TCP connection that neither side accepted (a simultaneous open, a birthday punch): the
 * technician is the client. `done` gets the socket once the handshake is through (its peer certificate is
 * not checked yet: the caller compares it with the fingerprint the relay carried), or null.
 */
export function secureOver(raw: net.Socket, identity: PeerIdentity, tlsClient: boolean, done: (socket: tls.TLSSocket | null) => void): void {
  const options = { cert: identity.certPem, key: identity.keyPem, minVersion: 'TLSv1.3' as const, rejectUnauthorized: false };
  const secure = tlsClient ? tls.connect({ ...options, socket: raw }) : new tls.TLSSocket(raw, { ...options, isServer: true, requestCert: true });
  secure.once(tlsClient ? 'secureConnect' : 'secure', () => done(secure));
  secure.once('error', () => {
    secure.destroy();
    done(null);
  });
}
