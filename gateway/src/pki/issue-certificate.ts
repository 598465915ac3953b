import { isIP } from 'node:net';
import forge from 'node-forge';
import { systemClock } from '../clock.js';
import { randomSerial, validityWindow, type CertificateAuthority, type PkiOptions } from './certificate-authority.js';
import { generateRsaKeyPair } from './keys.js';

/** server: TLS listeners; client: a party proving itself (mutual TLS); both: gateway-to-gateway links. */
export type CertificateUsage = 'server' | 'client' | 'both';

export interface CertificateRequest {
  commonName: string;
  /** DNS names and IP addresses (v4 or v6) for subjectAltName; each is told apart with net.isIP. */
  altNames: readonly string[];
  usage: CertificateUsage;
  validityDays: number;
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

/** Issues an RSA 2048 / SHA-256 certificate signed by `ca`, with the names and key usage asked for. */
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
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = await generateRsaKeyPair(2048);

  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = randomSerial();
  cert.validity.notBefore = notBefore;
  // Never outlive the CA: a chain is only as valid as its shortest link.
  cert.validity.notAfter = notAfter < caCert.validity.notAfter ? notAfter : caCert.validity.notAfter;
  cert.setSubject([{ name: 'commonName', value: request.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    // RSA key exchange is not in our cipher list, but keyEncipherment keeps older TLS stacks happy.
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: request.usage !== 'client', clientAuth: request.usage !== 'server' },
    {
      name: 'subjectAltName',
      altNames: [...new Set(request.altNames)].map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n.toLowerCase() })),
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}
