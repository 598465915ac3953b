import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';
import { generateKeys, importPublicKey, importSigningKey, signingAlgorithm, type KeyType } from './keys.js';
import { x509 } from './x509.js';

/** A CA as PEM text: the certificate clients pin, and its signing key (0600 on disk). */
export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
}

export interface PkiOptions {
  clock?: Clock;
}

const dayMs = 86_400_000;
/** Back-date notBefore a little, so a client whose clock is slightly behind accepts a fresh certificate. */
export const clockSkewMs = 5 * 60_000;

/** A random positive serial: 16 bytes, top bit cleared (RFC 5280 §4.1.2.2: positive, at most 20 octets). */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

export function validityWindow(clock: Clock, validityDays: number): { notBefore: Date; notAfter: Date } {
  if (!Number.isInteger(validityDays) || validityDays < 1) throw new Error(`validityDays must be a positive integer, got ${validityDays}`);
  const now = clock();
  return { notBefore: new Date(now - clockSkewMs), notAfter: new Date(now + validityDays * dayMs) };
}

/** Subject of the certificates we make: the common name, and for CAs our organisation. */
export function subjectName(commonName: string, organisation?: string): string {
  const escape = (v: string) => v.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
  return `CN=${escape(commonName)}${organisation ? `, O=${escape(organisation)}` : ''}`;
}

/**
 * A new self-signed CA (ECDSA P-256 by default, or RSA 3072; SHA-256) that may sign end-entity certificates
 * only (pathLen 0). The embedded gateway makes one for its own TLS; the cluster makes another for links.
 */
export async function createCa(commonName: string, validityDays: number, options: PkiOptions & { keyType?: KeyType } = {}): Promise<CertificateAuthority> {
  if (!commonName) throw new Error('createCa: commonName is required');
  const { notBefore, notAfter } = validityWindow(options.clock ?? systemClock, validityDays);
  const type = options.keyType ?? 'ecdsa-p256';
  const pem = await generateKeys(type, 3072);
  const [signing, publicKey] = await Promise.all([importSigningKey(pem.privateKeyPem), importPublicKey(pem.publicKeyPem, type)]);
  const name = subjectName(commonName, 'relaydesk');
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: name,
    issuer: name,
    notBefore,
    notAfter,
    publicKey,
    signingKey: signing.key,
    signingAlgorithm: signingAlgorithm(type),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: pem.privateKeyPem };
}
