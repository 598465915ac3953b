import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

/** Why a stored certificate can no longer be used as it is; null when it can. */
export type CertificateProblem = 'expiring' | 'names_changed' | 'not_issued_by_ca' | 'key_mismatch';

/** True when the private key belongs to the certificate's public key. */
export function keyMatchesCertificate(cert: X509Certificate, keyPem: string): boolean {
  return cert.checkPrivateKey(createPrivateKey(keyPem));
}

export function expiresAt(cert: X509Certificate): number {
  return new Date(cert.validTo).getTime();
}

/**
 * True when the certificate's subjectAltNames are exactly `names` (DNS names case-insensitively, IPs in
 * any spelling): every wanted name passes OpenSSL's own host/IP check, and there are no extra entries.
 */
export function hasExactNames(cert: X509Certificate, names: readonly string[]): boolean {
  const wanted = new Set(names.map((n) => (isIP(n) ? n : n.toLowerCase())));
  const entries = (cert.subjectAltName ?? '').split(', ').filter(Boolean);
  if (entries.length !== wanted.size) return false;
  for (const n of wanted) {
    const ok = isIP(n) ? cert.checkIP(n) !== undefined : cert.checkHost(n, { subject: 'never', wildcards: false }) !== undefined;
    if (!ok) return false;
  }
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
