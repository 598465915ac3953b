import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { GatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../log/logger.js';
import { nodeTlsPolicy } from '../pki/tls-policy.js';
import { LinkConnection } from './link-connection.js';
import type { LinkStream, OpenRequest } from './link-stream.js';

export interface LinkTls {
  certPem: string;
  keyPem: string;
  /** The cluster CA: the only issuer whose gateways we talk to. */
  caPem: string;
}

export interface GatewayLinksOptions {
  selfId: string;
  tls: LinkTls;
  maxFrameBytes: number;
  log: Logger;
  /** A peer gateway attaches a remote party to one of our sessions; throw a GatewayError to refuse. */
  onOpen(stream: LinkStream, request: OpenRequest): Promise<void>;
  /** A link's socket buffer passed its high-water mark. */
  onBackpressure?(peerId: string | null): void;
}

/**
 * The gateway links of this gateway: a mutual-TLS listener, and at most one connection per peer gateway
 * (dialed or accepted), multiplexing every session between the two.
 */
export class GatewayLinks {
  private server: tls.Server | null = null;
  private readonly byPeer = new Map<string, LinkConnection>();
  private readonly dialing = new Map<string, Promise<LinkConnection>>();
  private readonly all = new Set<LinkConnection>();

  constructor(private readonly options: GatewayLinksOptions) {}

  listen(host: string, port: number): Promise<number> {
    const { tls: t } = this.options;
    const server = tls.createServer({ ...nodeTlsPolicy, cert: t.certPem, key: t.keyPem, ca: t.caPem, requestCert: true, rejectUnauthorized: true });
    server.on('secureConnection', (socket) => this.adopt(new LinkConnection(socket, false, this.hooks())));
    server.on('tlsClientError', (err) => this.options.log.warn('link.client_refused', { err }));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`gateway link listener: cannot listen on ${host}:${port}: ${err.message}`)));
      server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
    });
  }

  /** Opens a stream to `peer` for one session (connecting first if needed). Rejects with a GatewayError. */
  async openStream(peer: { id: string; linkAddress: string }, request: OpenRequest): Promise<LinkStream> {
    const conn = await this.connection(peer);
    return conn.open(request);
  }

  /** Whether `peer` answers on its link now (an existing connection, or a new one). */
  isReachable(peer: { id: string; linkAddress: string }): Promise<boolean> {
    return this.connection(peer).then(
      () => true,
      () => false,
    );
  }

  get connectionCount(): number {
    return this.byPeer.size;
  }

  /** Bytes waiting in every link's socket (for the relaydesk_link_queued_bytes gauge). */
  get queuedBytes(): number {
    let sum = 0;
    for (const conn of this.all) sum += conn.queuedBytes;
    return sum;
  }

  async close(): Promise<void> {
    for (const conn of this.all) conn.close();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  private connection(peer: { id: string; linkAddress: string }): Promise<LinkConnection> {
    const existing = this.byPeer.get(peer.id);
    if (existing) return Promise.resolve(existing);
    let pending = this.dialing.get(peer.id);
    if (!pending) {
      pending = this.dial(peer).finally(() => this.dialing.delete(peer.id));
      this.dialing.set(peer.id, pending);
    }
    return pending;
  }

  private dial(peer: { id: string; linkAddress: string }): Promise<LinkConnection> {
    const at = peer.linkAddress.lastIndexOf(':');
    const host = peer.linkAddress.slice(0, at);
    const port = Number(peer.linkAddress.slice(at + 1));
    const { tls: t } = this.options;
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        ...nodeTlsPolicy,
        host,
        port,
        cert: t.certPem,
        key: t.keyPem,
        ca: t.caPem,
        // We know whom we dial: its certificate must name that gateway (addresses may be NATed or shared).
        checkServerIdentity: (_host, cert) =>
          cert.subject?.CN === peer.id ? undefined : new Error(`gateway link: expected gateway ${peer.id}, certificate says ${cert.subject?.CN}`),
      });
      const timer = setTimeout(() => socket.destroy(new Error('timed out')), 5000);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        const conn = new LinkConnection(socket, true, this.hooks());
        this.adopt(conn);
        // Streams may open before the peer's HELLO arrives; its identity was checked by checkServerIdentity.
        this.byPeer.set(peer.id, conn);
        resolve(conn);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        this.options.log.warn('link.dial_failed', { peer: peer.id, address: peer.linkAddress, err });
        reject(new GatewayError('E_PEER_GONE', `cannot reach gateway ${peer.id}`));
      });
    });
  }

  private adopt(conn: LinkConnection): void {
    this.all.add(conn);
  }

  private hooks() {
    return {
      selfId: this.options.selfId,
      maxFrameBytes: this.options.maxFrameBytes,
      log: this.options.log,
      onOpen: this.options.onOpen,
      onBackpressure: (conn: LinkConnection) => this.options.onBackpressure?.(conn.peerId),
      onHello: (conn: LinkConnection) => {
        if (!this.byPeer.has(conn.peerId!)) this.byPeer.set(conn.peerId!, conn);
        this.options.log.info('link.up', { peer: conn.peerId });
      },
      onClosed: (conn: LinkConnection) => {
        this.all.delete(conn);
        if (conn.peerId && this.byPeer.get(conn.peerId) === conn) this.byPeer.delete(conn.peerId);
        this.options.log.info('link.down', { peer: conn.peerId });
      },
    };
  }
}
