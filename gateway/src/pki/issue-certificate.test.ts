import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCa, type CertificateAuthority } from './certificate-authority.js';
import { issueCertificate, type IssuedCertificate } from './issue-certificate.js';
import { tlsHandshake } from './tls-handshake.test-helper.js';

let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
let server: IssuedCertificate;

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([createCa('test CA', 30), createCa('other CA', 30)]);
  server = await issueCertificate(ca, { commonName: 'gw.example.test', altNames: ['gw.example.test', '127.0.0.1', '::1'], usage: 'server', validityDays: 10 });
});

describe('createCa', () => {
  it('makes a CA certificate that may sign leaves only', () => {
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toContain('CN=test CA');
    expect(cert.checkIssued(cert)).toBe(true); // self-signed
    expect(cert.verify(cert.publicKey)).toBe(true);
  });

  it('refuses bad input', async () => {
    await expect(createCa('', 10)).rejects.toThrow(/commonName/);
    await expect(createCa('x', 0)).rejects.toThrow(/validityDays/);
  });
});

describe('issueCertificate', () => {
  it('issues a server certificate that passes a real TLS handshake with the CA pinned', async () => {
    const { error } = await tlsHandshake({ cert: server.certPem, key: server.keyPem }, { ca: ca.certPem, servername: 'gw.example.test' });
    expect(error).toBeNull();
  });

  it('verifies the IP address names too (clients connecting by IP)', async () => {
    // No servername: Node checks the IP 127.0.0.1 against the IP SANs.
    expect((await tlsHandshake({ cert: server.certPem, key: server.keyPem }, { ca: ca.certPem })).error).toBeNull();
  });

  it('fails the handshake when the client pins a different CA', async () => {
    const { error } = await tlsHandshake({ cert: server.certPem, key: server.keyPem }, { ca: otherCa.certPem, servername: 'gw.example.test' });
    expect((error as NodeJS.ErrnoException | null)?.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('fails the handshake for a name the certificate does not carry', async () => {
    const { error } = await tlsHandshake({ cert: server.certPem, key: server.keyPem }, { ca: ca.certPem, servername: 'evil.example.test' });
    expect((error as NodeJS.ErrnoException | null)?.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it("issues 'both' certificates for mutual TLS between gateways", async () => {
    const link = await issueCertificate(ca, { commonName: 'gateway-b', altNames: ['gateway-b', '127.0.0.1'], usage: 'both', validityDays: 10 });
    const result = await tlsHandshake(
      { cert: link.certPem, key: link.keyPem, ca: ca.certPem, requestCert: true },
      { cert: link.certPem, key: link.keyPem, ca: ca.certPem, servername: 'gateway-b' },
    );
    expect(result).toEqual({ error: null, clientAuthorized: true });
  });

  it("refuses a 'server' certificate used as a client certificate", async () => {
    const result = await tlsHandshake(
      { cert: server.certPem, key: server.keyPem, ca: ca.certPem, requestCert: true },
      { cert: server.certPem, key: server.keyPem, ca: ca.certPem, servername: 'gw.example.test' },
    );
    // extendedKeyUsage says serverAuth only, so OpenSSL refuses it for a client.
    expect(result.clientAuthorized).toBe(false);
    expect(result.clientAuthError).toBe('INVALID_PURPOSE');
  });

  it('sets the requested names and validity, never beyond the CA', async () => {
    const cert = new X509Certificate(server.certPem);
    expect(cert.subjectAltName).toBe('DNS:gw.example.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.ca).toBe(false);
    const long = await issueCertificate(ca, { commonName: 'x', altNames: ['x'], usage: 'server', validityDays: 1000 });
    expect(new Date(new X509Certificate(long.certPem).validTo).getTime()).toBeLessThanOrEqual(new Date(new X509Certificate(ca.certPem).validTo).getTime());
  });

  it('refuses requests without names or with invalid names', async () => {
    await expect(issueCertificate(ca, { commonName: 'x', altNames: [], usage: 'server', validityDays: 1 })).rejects.toThrow(/altName/);
    await expect(issueCertificate(ca, { commonName: 'x', altNames: ['bad name!'], usage: 'server', validityDays: 1 })).rejects.toThrow(/bad name!/);
  });
});
