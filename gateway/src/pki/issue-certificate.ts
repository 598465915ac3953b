import { isIP } from 'node:net';
import { systemClock } from '../clock.js';
import { randomSerial, subjectName, validityWindow, type CertificateAuthority, type PkiOptions } from './certificate-authority.js';
import { generateKeys, importPublicKey, importSigningKey, signingAlgorithm, type KeyType } from './keys.js';
import { x509 } from './x509.js';

/** server: TLS listeners; client: a party proving itself (mutual TLS); both: gateway-to-gateway links. */
export type CertificateUsage = 'server' | 'client' | 'both';

export interface CertificateRequest {
  commonName: string;
  /** DNS names and IP addresses (v4 or v6) for subjectAltName; each is told apart with net.isIP. */
  altNames: readonly string[];
  usage: CertificateUsage;
  validityDays: number;
  /** Key of the new certificate (default ECDSA P-256); the CA may be of either type. */
  keyType?: KeyType;
}

/** An end-entity certificate and its private key, PEM. */
export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

const dnsName = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Null when every name can go in a subjectAltName, else the first bad one. */
export function badAltName(names: readonly string[]): string | null {
  for (const n of names) if (!isIP(n) && !dnsName.test(n)) return n;
  return null;
}

/** Issues a SHA-256 certificate (ECDSA P-256 key by default, or RSA 2048) signed by `ca`, with the names and key usage asked for. */
export async function issueCertificate(
  ca: CertificateAuthority,
  request: CertificateRequest,
  options: PkiOptions = {},
): Promise<IssuedCertificate> {
  if (!request.commonName) throw new Error('issueCertificate: commonName is required');
  if (request.altNames.length === 0) throw new Error('issueCertificate: at least one altName is required (clients check names in SANs only)');
  const bad = badAltName(request.altNames);
  if (bad !== null) throw new Error(`issueCertificate: "${bad}" is neither a DNS name nor an IP address`);
  const { notBefore, notAfter } = validityWindow(options.clock ?? systemClock, request.validityDays);
  const caCert = new x509.X509Certificate(ca.certPem);
  const type = request.keyType ?? 'ecdsa-p256';
  const [caKey, keys] = await Promise.all([importSigningKey(ca.keyPem), generateKeys(type)]);
  const publicKey = await importPublicKey(keys.publicKeyPem, type);

  const usage = x509.KeyUsageFlags.digitalSignature | (type === 'rsa-2048' ? x509.KeyUsageFlags.keyEncipherment : 0);
  const eku = [...(request.usage !== 'client' ? [x509.ExtendedKeyUsage.serverAuth] : []), ...(request.usage !== 'server' ? [x509.ExtendedKeyUsage.clientAuth] : [])];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: subjectName(request.commonName),
    issuer: caCert.subject,
    notBefore,
    // Never outlive the CA: a chain is only as valid as its shortest link.
    notAfter: notAfter < caCert.notAfter ? notAfter : caCert.notAfter,
    publicKey,
    signingKey: caKey.key,
    signingAlgorithm: signingAlgorithm(caKey.type),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      // keyEncipherment only for RSA: RSA key exchange is not in our cipher list, but older TLS stacks expect it.
      new x509.KeyUsagesExtension(usage, true),
      new x509.ExtendedKeyUsageExtension(eku),
      new x509.SubjectAlternativeNameExtension([...new Set(request.altNames)].map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n.toLowerCase() }))),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: keys.privateKeyPem };
}
