import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

/** Why a stored certificate can no longer be used as it is; null when it can. */
export type CertificateProblem = 'expiring' | 'names_changed' | 'not_issued_by_ca' | 'key_mismatch' | 'key_type_changed';

/** True when the private key belongs to the certificate's public key. */
export function keyMatchesCertificate(cert: X509Certificate, keyPem: string): boolean {
  return cert.checkPrivateKey(createPrivateKey(keyPem));
}

export function expiresAt(cert: X509Certificate): number {
  return new Date(cert.validTo).getTime();
}

/**
 * True when the certificate's subjectAltNames are exactly `names`: DNS names (wildcards too) compared as
 * lower-case text, IP addresses through OpenSSL's checkIP so any spelling of an IPv6 address matches.
 */
export function hasExactNames(cert: X509Certificate, names: readonly string[]): boolean {
  const entries = (cert.subjectAltName ?? '').split(', ').filter(Boolean);
  const dnsHave = new Set(entries.filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4).toLowerCase()));
  const ipCount = entries.filter((e) => e.startsWith('IP Address:')).length;
  const dnsWant = new Set(names.filter((n) => !isIP(n)).map((n) => n.toLowerCase()));
  const ipWant = new Set(names.filter((n) => isIP(n)));
  if (entries.length !== dnsHave.size + ipCount || dnsHave.size !== dnsWant.size || ipCount !== ipWant.size) return false;
  for (const n of dnsWant) if (!dnsHave.has(n)) return false;
  for (const ip of ipWant) if (cert.checkIP(ip) === undefined) return false;
  return true;
}

/** True when `ca` signed `cert`. */
export function issuedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

/** Reads a PEM certificate, naming the file in the error when it is not one. */
export function parseCertificate(pem: string, source: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new Error(`${source} is not a readable PEM certificate (${(err as Error).message})`);
  }
}

export function checkPrivateKeyPem(pem: string, source: string): void {
  try {
    createPrivateKey(pem);
  } catch (err) {
    throw new Error(`${source} is not a readable unencrypted PEM private key (${(err as Error).message})`);
  }
}
