import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { Logger } from '../log/logger.js';
import { badAltName } from './issue-certificate.js';
import { checkPrivateKeyPem, expiresAt, issuedBy, keyMatchesCertificate, parseCertificate } from './certificate-check.js';
import { loadOrCreateCa, loadOrIssueCertificate } from './certificate-files.js';
import { certificateFingerprint } from './fingerprint.js';
import type { KeyType } from './keys.js';
import { readIfExists, splitPemCertificates } from './pem-files.js';

export { gatewayTlsCiphers } from './tls-policy.js';

export interface GatewayTlsOptions {
  /** The data folder; self-made files go to `<dataDir>/tls/`. */
  dataDir: string;
  /** DNS names and IPs clients use to reach this gateway; the first is also the certificate's CN. */
  hostnames: readonly string[];
  /** Operator-supplied PEM certificate (chain) and key: used as they are, after checks. Give both or neither. */
  certFile?: string | undefined;
  keyFile?: string | undefined;
  /** Operator-supplied CA that issued certFile, for clients to pin. Optional. */
  caFile?: string | undefined;
  log: Logger;
  clock?: Clock;
  /** Key type of the self-made gateway certificate (and of a CA made now); default ECDSA P-256. */
  keyType?: KeyType;
  /** Validity of a self-made gateway certificate (renewed at start-up within 30 days of expiry). */
  certValidityDays?: number;
}

export interface GatewayTls {
  /** For uWS SSLApp `cert_file_name`. */
  certFile: string;
  /** For uWS SSLApp `key_file_name`. */
  keyFile: string;
  caFile?: string;
  /** The certificate clients pin (`ca` option): our CA, the operator's CA, or the top of the operator's chain. */
  caPem: string;
  /** SHA-256 fingerprint of caPem, colon hex, for the start-up log and `--ca-fingerprint` pinning. */
  caFingerprint: string;
}

const caValidityDays = 3650;
const defaultCertValidityDays = 397;
const dayMs = 86_400_000;

/**
 * The gateway's TLS files. Without certFile/keyFile: a CA in `<dataDir>/tls/ca.{crt,key}` made on first start
 * and kept (clients pin it), and `gateway.{crt,key}` issued from it, re-issued when expiring or when
 * `hostnames` changed. With them: the operator's files as they are, after checking they parse and match.
 */
export async function ensureGatewayTls(options: GatewayTlsOptions): Promise<GatewayTls> {
  if (options.certFile || options.keyFile) return useOperatorFiles(options);
  if (options.hostnames.length === 0) throw new Error('TLS: at least one public host name or IP is needed for the gateway certificate');
  const bad = badAltName(options.hostnames);
  if (bad !== null) throw new Error(`TLS: "${bad}" is neither a DNS name nor an IP address`);

  const dir = join(options.dataDir, 'tls');
  const clock = options.clock;
  const keyType = options.keyType ?? 'ecdsa-p256';
  const ca = await loadOrCreateCa({ dir, name: 'ca', commonName: 'relaydesk gateway CA', validityDays: caValidityDays, keyType, log: options.log, clock });
  const leaf = await loadOrIssueCertificate({
    dir,
    name: 'gateway',
    ca,
    request: {
      commonName: options.hostnames[0]!,
      altNames: options.hostnames,
      usage: 'server',
      validityDays: options.certValidityDays ?? defaultCertValidityDays,
      keyType,
    },
    log: options.log,
    clock,
  });
  options.log.info('tls.ready', { source: 'self-signed', keyType, certFile: leaf.certFile, caFile: ca.certFile, caFingerprint: ca.fingerprint });
  return { certFile: leaf.certFile, keyFile: leaf.keyFile, caFile: ca.certFile, caPem: ca.certPem, caFingerprint: ca.fingerprint };
}

async function useOperatorFiles(options: GatewayTlsOptions): Promise<GatewayTls> {
  const { certFile, keyFile, caFile, log } = options;
  if (!certFile || !keyFile) throw new Error('TLS: certFile and keyFile go together; give both or neither');
  const [certText, keyPem, caText] = await Promise.all([
    readIfExists(certFile),
    readIfExists(keyFile),
    caFile ? readIfExists(caFile) : Promise.resolve(null),
  ]);
  if (certText === null) throw new Error(`TLS: certificate file ${certFile} does not exist`);
  if (keyPem === null) throw new Error(`TLS: key file ${keyFile} does not exist`);
  if (caFile && caText === null) throw new Error(`TLS: CA file ${caFile} does not exist`);

  const chain = splitPemCertificates(certText);
  if (chain.length === 0) throw new Error(`TLS: ${certFile} holds no PEM certificate`);
  const leaf = parseCertificate(chain[0]!, certFile);
  checkPrivateKeyPem(keyPem, keyFile);
  if (!keyMatchesCertificate(leaf, keyPem)) {
    throw new Error(`TLS: the private key in ${keyFile} does not match the certificate in ${certFile} (mismatched pair)`);
  }

  let caPem: string;
  if (caText !== null) {
    caPem = splitPemCertificates(caText)[0] ?? '';
    const ca = parseCertificate(caPem, caFile!);
    const signer = chain.length > 1 ? parseCertificate(chain[chain.length - 1]!, certFile) : leaf;
    // The CA must be the issuer of the top of the chain (or be that certificate itself).
    if (signer.fingerprint256 !== ca.fingerprint256 && !issuedBy(signer, ca)) {
      throw new Error(`TLS: ${certFile} was not issued by the CA in ${caFile}`);
    }
  } else {
    // No CA given: clients pin the top of the chain (the leaf itself when it is alone).
    caPem = chain[chain.length - 1]!;
  }

  const now = (options.clock ?? Date.now)();
  const left = expiresAt(leaf) - now;
  if (left <= 0) log.error('tls.cert_expired', { certFile, validTo: leaf.validTo });
  else if (left < 14 * dayMs) log.warn('tls.cert_expiring', { certFile, validTo: leaf.validTo });
  const caFingerprint = certificateFingerprint(caPem);
  log.info('tls.ready', { source: 'operator', certFile, caFingerprint });
  return { certFile, keyFile, ...(caFile ? { caFile } : {}), caPem, caFingerprint };
}
