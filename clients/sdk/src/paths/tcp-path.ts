import net from 'node:net';
import tls from 'node:tls';
import type { TcpCandidate } from '../../../../protocol/path-signal.js';
import type { SendResult } from './direct-path.js';
import { PathBase } from './path-base.js';
import { FrameDecoder, PATH_CONTROL_CHANNEL, PathControl, encodeFrame } from './path-framing.js';
import { matchesFingerprint, type PeerIdentity } from './peer-identity.js';
import { simultaneousOpen } from './tcp-simultaneous-open.js';

export type { TcpCandidate };

/** Bound on one connection attempt (TCP + TLS) to one candidate. */
export const TCP_ATTEMPT_MS = 1500;
/** Once all our own attempts failed, how long the peer's attempts towards us may still arrive. */
const INBOUND_GRACE_MS = 300;
/** Past this much unsent data a message is refused ('dropped') instead of queued without bound. */
const MAX_BUFFERED = 16 << 20;

/**
 * Direct TCP: both parties listen (any port, all addresses) and both connect to the other's candidates; TLS
 * 1.3 both ways with the per-session certificates, and a connection counts only when the peer's certificate
 * has the fingerprint the relay carried. The controlling party (the technician) takes the first connection
 * that passes and says so on it ("select"); the other side takes the connection that says so. The rest close.
 */
export class TcpPathAttempt {
  /** Absent when the connections come another way (a birthday punch, `punched`). */
  private readonly server: tls.Server | undefined;
  private readonly verified: tls.TLSSocket[] = [];
  private readonly pending = new Set<tls.TLSSocket>();
  private settled = false;
  private resolveChosen!: (socket: tls.TLSSocket | null) => void;
  readonly chosen: Promise<tls.TLSSocket | null> = new Promise((r) => (this.resolveChosen = r));
  private peerFingerprint: string | undefined;
  /** Inbound connections that beat the peer's hello (the direct path can be quicker than the relay). */
  private early: tls.TLSSocket[] = [];

  private constructor(
    private readonly identity: PeerIdentity,
    private readonly controlling: boolean,
    listening = true,
  ) {
    if (!listening) return;
    this.server = tls.createServer({ cert: identity.certPem, key: identity.keyPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' }, (socket) => this.consider(socket));
    this.server.on('tlsClientError', () => undefined); // a stranger's failed handshake is not our error
  }

  static async listen(identity: PeerIdentity, controlling: boolean, port = 0): Promise<TcpPathAttempt> {
    const attempt = new TcpPathAttempt(identity, controlling);
    await new Promise<void>((resolve, reject) => {
      attempt.server!.once('error', reject);
      attempt.server!.listen(port, '0.0.0.0', () => resolve());
    });
    return attempt;
  }

  /**
   * The same choice (fingerprint, then the technician's "select") among connections that `open` makes
   * (tcp-birthday.ts): it hands each TLS connection to `take` and ends by itself within its bounds.
   */
  static punched(identity: PeerIdentity, controlling: boolean, peerFingerprint: string, open: (take: (socket: tls.TLSSocket) => void) => { done: Promise<void>; stop(): void }): TcpPathAttempt {
    const attempt = new TcpPathAttempt(identity, controlling, false);
    attempt.peerFingerprint = peerFingerprint;
    const run = open((socket) => attempt.consider(socket));
    void attempt.chosen.then(() => run.stop());
    // After the window, a connection that opened at its very end may still be in its "select".
    void run.done.then(() => setTimeout(() => attempt.finish(null), INBOUND_GRACE_MS).unref());
    return attempt;
  }

  get port(): number {
    return (this.server!.address() as net.AddressInfo).port;
  }

  /** Starts connecting to the peer's candidates; resolves `chosen` with the path, or null after `timeoutMs`. */
  connect(peerFingerprint: string, candidates: TcpCandidate[], timeoutMs = TCP_ATTEMPT_MS + INBOUND_GRACE_MS, simultaneous?: { localPort: number; peer: TcpCandidate }): void {
    this.peerFingerprint = peerFingerprint;
    for (const socket of this.early.splice(0)) this.consider(socket);
    let outbound = Math.min(candidates.length, 16) + (simultaneous ? 1 : 0);
    // Unreachable candidates usually fail at once (no route, refused): then wait only for the peer's attempts.
    const oneFailed = () => {
      if (--outbound === 0) setTimeout(() => this.verified.length === 0 && this.finish(null), INBOUND_GRACE_MS).unref();
    };
    if (outbound === 0) setTimeout(() => this.verified.length === 0 && this.finish(null), INBOUND_GRACE_MS).unref();
    if (simultaneous) {
      // Both behind NAT: the SYNs cross (tcp-simultaneous-open.ts); the technician is the TLS client.
      void simultaneousOpen(this.identity, simultaneous.localPort, simultaneous.peer, this.controlling, Math.max(timeoutMs - 100, 500)).then((socket) => {
        if (socket) this.consider(socket);
        else oneFailed();
      });
    }
    for (const c of candidates.slice(0, 16)) {
      const socket = tls.connect({ host: c.address, port: c.port, cert: this.identity.certPem, key: this.identity.keyPem, rejectUnauthorized: false, minVersion: 'TLSv1.3', timeout: TCP_ATTEMPT_MS });
      let connected = false;
      socket.once('secureConnect', () => {
        connected = true;
        this.consider(socket);
      });
      socket.once('timeout', () => socket.destroy());
      socket.once('error', () => socket.destroy());
      this.pending.add(socket);
      socket.once('close', () => {
        this.pending.delete(socket);
        if (!connected) oneFailed();
      });
    }
    setTimeout(() => this.finish(null), timeoutMs).unref();
  }

  private consider(socket: tls.TLSSocket): void {
    socket.on('error', () => socket.destroy());
    const fingerprint = this.peerFingerprint;
    if (!fingerprint && !this.settled && this.early.length < 8) {
      this.early.push(socket);
      return;
    }
    if (this.settled || !fingerprint || !matchesFingerprint(socket.getPeerX509Certificate()?.raw, fingerprint)) {
      socket.destroy(); // not our peer: a machine in the middle, a stale attempt, or a stranger
      return;
    }
    this.verified.push(socket);
    if (this.controlling) {
      socket.write(encodeFrame(PATH_CONTROL_CHANNEL, Uint8Array.of(PathControl.select)));
      this.finish(socket);
      return;
    }
    // Controlled side: wait for "select" as the connection's first frame.
    const onData = (chunk: Buffer) => {
      socket.off('data', onData);
      // Hold what follows until the TcpPath reads it: a flowing stream without a listener drops its data.
      socket.pause();
      if (chunk.length >= 6 && chunk.readUInt32BE(0) === 2 && chunk[4] === PATH_CONTROL_CHANNEL && chunk[5] === PathControl.select) {
        if (chunk.length > 6) socket.unshift(chunk.subarray(6));
        this.finish(socket);
      } else socket.destroy();
    };
    socket.on('data', onData);
  }

  private finish(socket: tls.TLSSocket | null): void {
    if (this.settled) return;
    this.settled = true;
    this.server?.close();
    for (const s of [...this.pending, ...this.verified, ...this.early.splice(0)]) if (s !== socket) s.destroy();
    this.resolveChosen(socket);
  }

  close(): void {
    this.finish(null);
  }
}

/** A chosen TLS connection as a DirectPath. */
export class TcpPath extends PathBase {
  readonly kind = 'tcp' as const;
  private readonly decoder = new FrameDecoder();

  constructor(
    private readonly socket: tls.TLSSocket,
    readonly description: string,
  ) {
    super();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      const bad = this.decoder.push(chunk, (channel, payload) => this.received(channel, payload));
      if (bad) this.close(`bad input: ${bad}`);
    });
    socket.once('close', () => this.close('connection closed'));
    socket.on('error', () => undefined);
    socket.resume(); // paused while the attempt read the "select" frame
    this.keepalive.start();
  }

  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  send(channel: number, payload: Uint8Array): SendResult {
    if (this.closed || this.socket.writableLength > MAX_BUFFERED) return 'dropped';
    return this.write(channel, payload) ? 'sent' : 'queued';
  }

  protected write(channel: number, payload: Uint8Array): boolean {
    if (this.closed) return false;
    return this.socket.write(encodeFrame(channel, payload));
  }

  protected release(): void {
    this.socket.destroy();
  }
}
