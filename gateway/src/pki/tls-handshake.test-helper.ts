// Test-only: a real TLS handshake between node:tls server and client, to prove certificates work on the wire.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type ConnectionOptions, type TlsOptions, type TLSSocket } from 'node:tls';

export interface HandshakeResult {
  /** The client's error, or null when its handshake completed. */
  error: Error | null;
  /** With `requestCert`: whether the server accepted the client's certificate, and why not. */
  clientAuthorized?: boolean;
  clientAuthError?: string;
}

/** Runs one handshake; the server accepts any client certificate and reports what it made of it. */
export async function tlsHandshake(server: TlsOptions, client: ConnectionOptions): Promise<HandshakeResult> {
  // rejectUnauthorized off on the server so a refused client certificate is reported, not a reset.
  const srv = createServer({ ...server, rejectUnauthorized: false });
  const accepted = new Promise<TLSSocket>((resolve) => {
    srv.on('secureConnection', (socket: TLSSocket) => {
      socket.end('hello');
      resolve(socket);
    });
  });
  srv.on('tlsClientError', () => {});
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as AddressInfo;
  try {
    const error = await new Promise<Error | null>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, ...client }, () => {
        socket.end();
        resolve(null);
      });
      socket.on('error', (err) => resolve(err));
    });
    if (error || !server.requestCert) return { error };
    const s = await accepted;
    const authError = s.authorizationError;
    return { error, clientAuthorized: s.authorized, ...(authError ? { clientAuthError: String(authError) } : {}) };
  } finally {
    srv.close();
  }
}
