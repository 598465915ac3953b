/**
 * The link between the mix coordinator and its workers (local processes, or `--worker` on other machines):
 * newline-delimited JSON over TLS. The coordinator makes a throwaway ECDSA certificate at start; a worker
 * pins its SHA-256 fingerprint (given on the worker's command line) and proves itself with a random token,
 * because the plan it receives carries the technicians' passwords.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { constantTimeEqual } from '../../gateway/src/auth/constant-time.js';
import { createCa } from '../../gateway/src/pki/certificate-authority.js';
import { certificateFingerprint } from '../../gateway/src/pki/fingerprint.js';
import { issueCertificate } from '../../gateway/src/pki/issue-certificate.js';
import { nodeTlsPolicy } from '../../gateway/src/pki/tls-policy.js';

export interface Link {
  send(msg: object): void;
  onMessage(fn: (msg: Record<string, unknown>) => void): void;
  onClose(fn: () => void): void;
  close(): void;
  readonly remote: string;
}

function linkOf(socket: TLSSocket): Link {
  const lines = createInterface({ input: socket });
  return {
    remote: `${socket.remoteAddress}:${socket.remotePort}`,
    send: (msg) => void socket.write(JSON.stringify(msg) + '\n'),
    onMessage: (fn) => void lines.on('line', (line) => fn(JSON.parse(line) as Record<string, unknown>)),
    onClose: (fn) => void socket.once('close', fn),
    close: () => socket.end(),
  };
}

export interface Coordinator {
  host: string;
  port: number;
  fingerprint: string;
  token: string;
  close(): void;
}

/** Listens for workers; each one that presents the token is handed to `onWorker` (others are dropped). */
export async function listenForWorkers(host: string, port: number, onWorker: (link: Link, hello: Record<string, unknown>) => void): Promise<Coordinator> {
  const ca = await createCa('relaydesk bench coordinator', 2);
  const leaf = await issueCertificate(ca, { commonName: 'bench-coordinator', altNames: ['bench-coordinator'], usage: 'server', validityDays: 1 });
  const fingerprint = certificateFingerprint(leaf.certPem);
  const token = randomBytes(16).toString('hex');
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem, ...nodeTlsPolicy }, (socket) => {
    const link = linkOf(socket);
    let greeted = false;
    const timer = setTimeout(() => greeted || socket.destroy(), 10_000);
    link.onMessage((msg) => {
      if (greeted) return;
      greeted = true;
      clearTimeout(timer);
      if (msg.type !== 'hello' || typeof msg.token !== 'string' || !constantTimeEqual(msg.token, token)) return void socket.destroy();
      onWorker(link, msg);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
  const address = server.address() as { port: number };
  return { host, port: address.port, fingerprint, token, close: () => server.close() };
}

/** A worker's side: connects, checks the coordinator's certificate fingerprint, says hello with the token. */
export function connectToCoordinator(address: string, fingerprint: string, token: string): Promise<Link> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  return new Promise((resolve, reject) => {
    // The certificate is self-made and pinned by fingerprint: no CA and no name to check.
    const socket = connect({ host, port, rejectUnauthorized: false, ...nodeTlsPolicy }, () => {
      const raw = socket.getPeerCertificate().raw;
      const seen = raw ? certificateFingerprint(`-----BEGIN CERTIFICATE-----\n${raw.toString('base64')}\n-----END CERTIFICATE-----\n`) : '';
      if (!constantTimeEqual(seen, fingerprint.toUpperCase())) {
        socket.destroy();
        return reject(new Error(`coordinator ${address}: certificate fingerprint ${seen || '(none)'} is not the one given (--coordinator-fingerprint)`));
      }
      const link = linkOf(socket);
      link.send({ type: 'hello', token, pid: process.pid });
      resolve(link);
    });
    socket.once('error', reject);
  });
}
