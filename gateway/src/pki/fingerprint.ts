import { createHash, X509Certificate } from 'node:crypto';

/**
 * SHA-256 of the certificate's DER encoding as upper-case colon hex ("AB:CD:…"), the form browsers and
 * `openssl x509 -fingerprint -sha256` show, so an operator can compare it by eye when pinning the CA.
 */
export function certificateFingerprint(certPem: string): string {
  const der = new X509Certificate(certPem).raw;
  const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
  return hex.match(/../g)!.join(':');
}
