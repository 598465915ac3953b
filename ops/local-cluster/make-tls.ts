/**
 * TLS material for the local cluster, made once in <runDir>/tls and reused by later runs:
 * - ca.crt / ca.key: the one CA every gateway's certificate comes from, so a client pins one CA whichever
 *   gateway the load balancer hands it to;
 * - gwN.crt / gwN.key: each gateway's server certificate (names: localhost, 127.0.0.1);
 * - cluster-ca/: the separate CA of the mutual-TLS gateway link (`--cluster-dir`), made before the gateways
 *   start so they do not race to create it.
 * Usage: npx tsx ops/local-cluster/make-tls.ts <runDir> <gateway count>
 */
import { join } from 'node:path';
import { loadOrCreateCa, loadOrIssueCertificate } from '../../gateway/src/pki/certificate-files.js';

const [runDir, countArg] = process.argv.slice(2);
const count = Number(countArg ?? 3);
if (!runDir || !Number.isInteger(count) || count < 0) {
  process.stderr.write('usage: make-tls.ts <runDir> <gateway count>\n');
  process.exit(2);
}
const tlsDir = join(runDir, 'tls');
const ca = await loadOrCreateCa({ dir: tlsDir, name: 'ca', commonName: 'relaydesk local cluster CA', validityDays: 825 });
for (let i = 1; i <= count; i++) {
  await loadOrIssueCertificate({
    dir: tlsDir,
    name: `gw${i}`,
    ca,
    request: { commonName: 'localhost', altNames: ['localhost', '127.0.0.1'], usage: 'server', validityDays: 397 },
  });
}
await loadOrCreateCa({ dir: join(runDir, 'cluster-ca'), name: 'cluster-ca', commonName: 'relaydesk local cluster link CA', validityDays: 825 });
process.stdout.write(`${ca.fingerprint}\n`);
