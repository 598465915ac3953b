// The policy as the gateway really serves it: uWebSockets.js SSLApp with `ssl_ciphers: gatewayTlsCiphers`.
// This is what backs the claims in tls-policy.ts about uWS (minimum version set by uSockets, cipher list).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import uws from 'uWebSockets.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, type CertificateAuthority } from './certificate-authority.js';
import { issueCertificate } from './issue-certificate.js';
import { gatewayTlsCiphers } from './tls-policy.js';

let ca: CertificateAuthority;
let dir: string;
let listenSocket: uws.us_listen_socket | false = false;
let port = 0;

beforeAll(async () => {
  ca = await createCa('uws CA', 5);
  const leaf = await issueCertificate(ca, { commonName: 'localhost', altNames: ['localhost'], usage: 'server', validityDays: 5 });
  dir = await mkdtemp(join(tmpdir(), 'rd-uws-'));
  await writeFile(join(dir, 'c.crt'), leaf.certPem);
  await writeFile(join(dir, 'c.key'), leaf.keyPem, { mode: 0o600 });
  const app = uws.SSLApp({ cert_file_name: join(dir, 'c.crt'), key_file_name: join(dir, 'c.key'), ssl_ciphers: gatewayTlsCiphers });
  app.get('/*', (res) => {
    res.end('ok');
  });
  await new Promise<void>((resolve) =>
    app.listen('127.0.0.1', 0, (s) => {
      listenSocket = s;
      if (s) port = uws.us_socket_local_port(s);
      resolve();
    }),
  );
});

afterAll(async () => {
  if (listenSocket) uws.us_listen_socket_close(listenSocket);
  await rm(dir, { recursive: true, force: true });
});

function handshake(extra: ConnectionOptions): Promise<{ error: Error | null; protocol?: string | null }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost', ...extra }, () => {
      const protocol = socket.getProtocol();
      socket.end();
      resolve({ error: null, protocol });
    });
    socket.on('error', (error) => resolve({ error }));
  });
}

describe('uWS SSLApp with gatewayTlsCiphers', () => {
  it('listens', () => {
    expect(listenSocket).toBeTruthy();
  });

  it('speaks TLS 1.3, and TLS 1.2 with an ECDHE AEAD cipher', async () => {
    expect(await handshake({})).toEqual({ error: null, protocol: 'TLSv1.3' });
    expect(await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256' })).toEqual({ error: null, protocol: 'TLSv1.2' });
  });

  it('decides the TLS 1.2 cipher itself: a client preferring ChaCha20 or AES-256 still gets AES-128-GCM', async () => {
    const preferOthers = 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256';
    const cipher = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: ca.certPem, servername: 'localhost', maxVersion: 'TLSv1.2', ciphers: preferOthers }, () => {
        resolve(socket.getCipher().name);
        socket.end();
      });
      socket.on('error', reject);
    });
    expect(cipher).toMatch(/^ECDHE-(ECDSA|RSA)-AES128-GCM-SHA256$/);
  });

  it('refuses TLS 1.1 (uSockets sets the minimum itself; uWS has no option for it)', async () => {
    const { error } = await handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    expect(error).not.toBeNull();
  });

  it('refuses non-AEAD and non-forward-secret TLS 1.2 ciphers', async () => {
    // The certificate is ECDSA (the default), so the suites named are ECDSA ones: refused for their cipher only.
    for (const cipher of ['ECDHE-ECDSA-AES128-SHA256', 'ECDHE-ECDSA-AES256-SHA']) {
      const { error } = await handshake({ maxVersion: 'TLSv1.2', ciphers: cipher });
      expect(error, cipher).not.toBeNull();
    }
  });
});
