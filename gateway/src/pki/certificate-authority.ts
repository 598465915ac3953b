import { randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { systemClock, type Clock } from '../clock.js';
import { generateRsaKeyPair } from './keys.js';

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

/**
 * A new self-signed CA (RSA 3072, SHA-256) that may sign end-entity certificates only (pathLen 0).
 * The embedded gateway makes one for its own TLS; the cluster makes another for mutual-TLS gateway links.
 */
export async function createCa(commonName: string, validityDays: number, options: PkiOptions = {}): Promise<CertificateAuthority> {
  if (!commonName) throw new Error('createCa: commonName is required');
  const { notBefore, notAfter } = validityWindow(options.clock ?? systemClock, validityDays);
  const keys = await generateRsaKeyPair(3072);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = randomSerial();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  const subject = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'relaydesk' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKeyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}
