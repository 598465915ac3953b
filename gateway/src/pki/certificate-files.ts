import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '../clock.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { createCa, type CertificateAuthority } from './certificate-authority.js';
import {
  checkPrivateKeyPem,
  expiresAt,
  hasExactNames,
  issuedBy,
  keyMatchesCertificate,
  parseCertificate,
  type CertificateProblem,
} from './certificate-check.js';
import { certificateFingerprint } from './fingerprint.js';
import { issueCertificate, type CertificateRequest } from './issue-certificate.js';
import { keyTypeOf, type KeyType } from './keys.js';
import { readIfExists, writeFileAtomic } from './pem-files.js';

const dayMs = 86_400_000;

export interface StoredCa extends CertificateAuthority {
  certFile: string;
  keyFile: string;
  fingerprint: string;
}

export interface StoredCertificate {
  certFile: string;
  keyFile: string;
  certPem: string;
  fingerprint: string;
}

export interface LoadOrCreateCaOptions {
  /** Folder of the files (made 0700 when missing). */
  dir: string;
  /** Base name: `<dir>/<name>.crt` and `<name>.key`, e.g. 'ca' for the gateway, 'cluster-ca' for links. */
  name: string;
  commonName: string;
  validityDays: number;
  /** Key type of a CA made now (default ECDSA P-256); a stored CA is kept whatever its type. */
  keyType?: KeyType;
  log?: Logger;
  clock?: Clock;
}

/** `<dir>/<name>.crt` and `.key` (either may be absent), the folder made private if it is new. */
async function readPair(dir: string, name: string) {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const [certPem, keyPem] = await Promise.all([readIfExists(certFile), readIfExists(keyFile)]);
  return { certFile, keyFile, certPem, keyPem };
}

/**
 * The CA stored in `<dir>/<name>.{crt,key}`, created on first use. Clients pin this CA, so it is reused for
 * its whole life and replaced only once expired. Half a CA (one file without the other) is an operator
 * problem and is reported, never silently replaced: a new CA would break every pinned client.
 */
export async function loadOrCreateCa(options: LoadOrCreateCaOptions): Promise<StoredCa> {
  const log = options.log ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const { certFile, keyFile, certPem, keyPem } = await readPair(options.dir, options.name);

  if (certPem !== null && keyPem !== null) {
    const cert = parseCertificate(certPem, certFile);
    checkPrivateKeyPem(keyPem, keyFile);
    if (!keyMatchesCertificate(cert, keyPem)) throw new Error(`${keyFile} does not belong to ${certFile}; restore the pair or delete both`);
    if (expiresAt(cert) > clock()) {
      const stored = keyTypeOf(keyPem);
      if (options.keyType && stored !== options.keyType) {
        // Clients pin this CA: never replaced for a key-type change. Old RSA-only clients need an RSA CA too.
        log.warn('tls.ca_key_type', { file: certFile, stored, configured: options.keyType, action: 'kept; delete the CA files to make a new one of the configured type' });
      }
      return { certPem, keyPem, certFile, keyFile, fingerprint: certificateFingerprint(certPem) };
    }
    log.warn('tls.ca_expired', { file: certFile, validTo: cert.validTo, action: 'creating a new CA; clients must pin the new one' });
  } else if (certPem !== null || keyPem !== null) {
    throw new Error(`found only one of ${certFile} and ${keyFile}; restore the missing file or delete both to make a new CA`);
  }

  const ca = await createCa(options.commonName, options.validityDays, { clock, keyType: options.keyType });
  // Key first: a crash between the writes leaves "key without cert", reported above, not a CA without key.
  await writeFileAtomic(keyFile, ca.keyPem, 0o600);
  await writeFileAtomic(certFile, ca.certPem, 0o644);
  const fingerprint = certificateFingerprint(ca.certPem);
  log.info('tls.ca_created', { file: certFile, fingerprint });
  return { ...ca, certFile, keyFile, fingerprint };
}

export interface LoadOrIssueOptions {
  dir: string;
  /** Base name: `<dir>/<name>.crt` and `<name>.key`. */
  name: string;
  ca: CertificateAuthority;
  request: CertificateRequest;
  /** Re-issue when fewer days than this remain. */
  renewBeforeDays?: number;
  log?: Logger;
  clock?: Clock;
}

/**
 * The certificate stored in `<dir>/<name>.{crt,key}`, re-issued from `ca` when missing, expiring within
 * `renewBeforeDays`, carrying other names than `request.altNames`, signed by another CA, or not matching its key.
 */
export async function loadOrIssueCertificate(options: LoadOrIssueOptions): Promise<StoredCertificate> {
  const log = options.log ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const { certFile, keyFile, certPem, keyPem } = await readPair(options.dir, options.name);

  let reason: CertificateProblem | 'missing' = 'missing';
  if (certPem !== null && keyPem !== null) {
    const problem = certificateProblem(certPem, keyPem, options, clock());
    if (problem === null) return { certFile, keyFile, certPem, fingerprint: certificateFingerprint(certPem) };
    reason = problem;
  }
  const issued = await issueCertificate(options.ca, options.request, { clock });
  // Key first, then certificate: a crash in between leaves a mismatched pair, which the next start re-issues.
  await writeFileAtomic(keyFile, issued.keyPem, 0o600);
  await writeFileAtomic(certFile, issued.certPem, 0o644);
  const fingerprint = certificateFingerprint(issued.certPem);
  log.info('tls.cert_issued', { file: certFile, reason, names: options.request.altNames, fingerprint });
  return { certFile, keyFile, certPem: issued.certPem, fingerprint };
}

function certificateProblem(certPem: string, keyPem: string, options: LoadOrIssueOptions, now: number): CertificateProblem | null {
  let cert;
  try {
    cert = parseCertificate(certPem, 'stored certificate');
    checkPrivateKeyPem(keyPem, 'stored key');
    if (!keyMatchesCertificate(cert, keyPem)) return 'key_mismatch';
  } catch {
    return 'key_mismatch'; // unreadable files we made ourselves: make new ones
  }
  if (!issuedBy(cert, parseCertificate(options.ca.certPem, 'CA certificate'))) return 'not_issued_by_ca';
  if (expiresAt(cert) - now < (options.renewBeforeDays ?? 30) * dayMs) return 'expiring';
  if (!hasExactNames(cert, options.request.altNames)) return 'names_changed';
  if (keyTypeOf(keyPem) !== (options.request.keyType ?? 'ecdsa-p256')) return 'key_type_changed';
  return null;
}
