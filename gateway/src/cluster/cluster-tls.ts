import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { loadOrCreateCa, loadOrIssueCertificate } from '../pki/certificate-files.js';
import type { LinkTls } from './gateway-links.js';

export interface ClusterTlsOptions {
  /** Holds the cluster CA (cluster-ca.crt/.key), the same folder (or copy) for every gateway of the cluster. */
  clusterDir: string;
  /** This gateway's own link certificate goes to <dataDir>/cluster/. */
  dataDir: string;
  gatewayId: string;
  log: Logger;
}

/**
 * Mutual-TLS material for the gateway link: the cluster CA (made on first use if absent; make it once before
 * starting several gateways on one folder) and this gateway's certificate from it, named after the gateway
 * id, which peers check against the id the gateway announces.
 */
export async function ensureClusterTls(options: ClusterTlsOptions): Promise<LinkTls> {
  const ca = await loadOrCreateCa({ dir: options.clusterDir, name: 'cluster-ca', commonName: 'relaydesk cluster CA', validityDays: 3650, log: options.log });
  const leaf = await loadOrIssueCertificate({
    dir: join(options.dataDir, 'cluster'),
    name: `link-${options.gatewayId}`,
    ca,
    request: { commonName: options.gatewayId, altNames: [options.gatewayId], usage: 'both', validityDays: 397 },
    log: options.log,
  });
  return { certPem: leaf.certPem, keyPem: await readFile(leaf.keyFile, 'utf8'), caPem: ca.certPem };
}
