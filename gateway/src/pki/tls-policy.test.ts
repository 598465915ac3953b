import { beforeAll, describe, expect, it } from 'vitest';
import { createCa, type CertificateAuthority } from './certificate-authority.js';
import { issueCertificate, type IssuedCertificate } from './issue-certificate.js';
import { keyTypes } from './keys.js';
import { tlsHandshake } from './tls-handshake.test-helper.js';
import { nodeTlsPolicy } from './tls-policy.js';

// Both key types the gateway can make; TLS 1.2 suite names carry the certificate's key type (ECDSA / RSA).
describe.each(keyTypes)('nodeTlsPolicy, %s certificate', (keyType) => {
  let ca: CertificateAuthority;
  let leaf: IssuedCertificate;
  beforeAll(async () => {
    ca = await createCa('policy CA', 5, { keyType });
    leaf = await issueCertificate(ca, { commonName: 'localhost', altNames: ['localhost'], usage: 'server', validityDays: 5, keyType });
  });
  const server = () => ({ cert: leaf.certPem, key: leaf.keyPem, ...nodeTlsPolicy });
  const client = (extra: object) => ({ ca: ca.certPem, servername: 'localhost', ...extra });
  const auth = keyType === 'rsa-2048' ? 'RSA' : 'ECDSA';

  it('accepts TLS 1.3 and TLS 1.2 with an ECDHE AEAD cipher', async () => {
    expect((await tlsHandshake(server(), client({}))).error).toBeNull();
    expect((await tlsHandshake(server(), client({ maxVersion: 'TLSv1.2', ciphers: `ECDHE-${auth}-CHACHA20-POLY1305` }))).error).toBeNull();
  });

  it('refuses TLS 1.1', async () => {
    // SECLEVEL=0 lets this OpenSSL 3 client offer TLS 1.1 at all; the server must still say no.
    const { error } = await tlsHandshake(server(), client({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }));
    expect(error).not.toBeNull();
  });

  it('refuses TLS 1.2 ciphers without AEAD or without forward secrecy', async () => {
    for (const cipher of [`ECDHE-${auth}-AES128-SHA256`, 'AES128-GCM-SHA256', `ECDHE-${auth}-AES256-SHA`]) {
      const { error } = await tlsHandshake(server(), client({ maxVersion: 'TLSv1.2', ciphers: cipher }));
      expect(error, cipher).not.toBeNull();
    }
  });
});
