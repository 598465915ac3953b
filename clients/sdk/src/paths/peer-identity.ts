import { createHash, webcrypto, X509Certificate, timingSafeEqual } from 'node:crypto';
// @peculiar/x509 needs the Reflect metadata polyfill loaded before it (its dependency injection uses it).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

/**
 * A party's key for direct paths: a fresh ECDSA P-256 key and a self-signed certificate per session. It proves
 * nothing by itself; its SHA-256 fingerprint travels to the other party over the relay (the gateway-authenticated
 * channel), and a direct TLS connection is accepted only when the peer's certificate has exactly that fingerprint.
 * So a machine on the direct path can neither read the session (TLS) nor stand in for the peer (the fingerprint).
 */
export interface PeerIdentity {
  certPem: string;
  keyPem: string;
  /** SHA-256 of the certificate's DER, lower-case hex. */
  fingerprint: string;
}

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export async function createPeerIdentity(): Promise<PeerIdentity> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex'),
    name: 'CN=relaydesk-direct-path',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 24 * 3600_000),
    keys,
    signingAlgorithm: alg,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  const certPem = cert.toString('pem');
  return { certPem, keyPem, fingerprint: fingerprintOf(new X509Certificate(certPem).raw) };
}

export function fingerprintOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/** Constant-time comparison of a presented certificate (DER) with the fingerprint the relay carried. */
export function matchesFingerprint(der: Uint8Array | undefined, expected: string): boolean {
  if (!der || !/^[0-9a-f]{64}$/.test(expected)) return false;
  return timingSafeEqual(createHash('sha256').update(der).digest(), Buffer.from(expected, 'hex'));
}
