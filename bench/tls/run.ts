/**
 * `npm run bench -- tls`: what a TLS handshake costs the server, per key type (ECDSA P-256, RSA 2048) and
 * per kind (full, resumed with a session ticket, resumed with a ticket from another server process), on a
 * bare uWS.js SSLApp (the gateway's listener) and on node:tls with a shared ticket key. The uWS rows are
 * the floor under pairing (two WebSocket handshakes per pairing); the "other process" rows show whether
 * a client reconnecting to another gateway of a cluster resumes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa } from '../../gateway/src/pki/certificate-authority.js';
import { issueCertificate } from '../../gateway/src/pki/issue-certificate.js';
import type { KeyType } from '../../gateway/src/pki/keys.js';
import { common, commonOptions, finish, type CommonValues } from '../lib/common.js';
import { round } from '../lib/histogram.js';
import { parseOptions, usage, UsageError, type OptionDef } from '../lib/options.js';
import { newReport } from '../lib/report.js';
import { runHandshakes, startTlsServer, type HandshakeResult } from './handshakes.js';

export const options = {
  ...commonOptions,
  count: { kind: 'int', default: 1500, min: 1, help: 'handshakes per row' },
  concurrency: { kind: 'int', default: 16, min: 1, help: 'handshakes in flight' },
  servers: { kind: 'list', default: ['uws', 'node'], help: 'servers: uws (uWebSockets.js SSLApp), node (node:tls with a shared ticket key)' },
  keys: { kind: 'list', default: ['ecdsa-p256', 'rsa-2048'], help: 'key types: ecdsa-p256, rsa-2048' },
} satisfies Record<string, OptionDef>;

interface Values extends CommonValues {
  count: number;
  concurrency: number;
  servers: string[];
  keys: string[];
}

export interface TlsRow extends HandshakeResult {
  server: string;
  key: string;
  kind: 'full' | 'resumed' | 'resumed, ticket from another process';
}

export async function run(argv: string[]): Promise<void> {
  const parsed = parseOptions('tls', options, argv);
  if (parsed.help) return void process.stdout.write(usage('tls', options) + '\n');
  const o = common(parsed) as Values;
  for (const s of o.servers) if (s !== 'uws' && s !== 'node') throw new UsageError(`--servers ${s}: expected uws or node`);
  for (const k of o.keys) if (k !== 'ecdsa-p256' && k !== 'rsa-2048') throw new UsageError(`--keys ${k}: expected ecdsa-p256 or rsa-2048`);
  const report = newReport('tls', argv, { ...o });
  const dir = await mkdtemp(join(tmpdir(), 'bench-tls-'));
  const rows: TlsRow[] = [];
  try {
    for (const key of o.keys as KeyType[]) {
      const ca = await createCa('bench tls CA', 2, { keyType: key });
      const leaf = await issueCertificate(ca, { commonName: 'localhost', altNames: ['localhost'], usage: 'server', validityDays: 1, keyType: key });
      const certFile = join(dir, `${key}.crt`);
      const keyFile = join(dir, `${key}.key`);
      await writeFile(certFile, leaf.certPem);
      await writeFile(keyFile, leaf.keyPem, { mode: 0o600 });
      for (const server of o.servers as ('uws' | 'node')[]) {
        // Two processes of one "cluster": node:tls gets the same ticket key in both; uWS.js cannot be given one.
        const ticketKey = server === 'node' ? randomBytes(48).toString('hex') : undefined;
        const a = await startTlsServer(server, certFile, keyFile, ticketKey);
        const b = await startTlsServer(server, certFile, keyFile, ticketKey);
        try {
          const base = { count: o.count, concurrency: o.concurrency, ca: ca.certPem };
          rows.push({ server, key, kind: 'full', ...(await runHandshakes(a.port, a.pid, { ...base, resume: false })) });
          rows.push({ server, key, kind: 'resumed', ...(await runHandshakes(a.port, a.pid, { ...base, resume: true })) });
          rows.push({ server, key, kind: 'resumed, ticket from another process', ...(await runHandshakes(b.port, b.pid, { ...base, resume: true, ticketFromPort: a.port })) });
        } finally {
          await a.stop();
          await b.stop();
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  report.figures.rows = rows;
  report.tables.push({
    title: `TLS handshakes (${o.count} per row, ${o.concurrency} in flight; client: node:tls on the same machine)`,
    columns: ['server', 'key', 'handshake', 'done', 'failed', 'resumed', 'per second', 'server CPU µs/handshake'],
    rows: rows.map((r) => [r.server, r.key, r.kind, r.handshakes, r.failed, r.resumed, round(r.perSecond, 0), r.serverCpuUsPerHandshake === undefined ? '-' : round(r.serverCpuUsPerHandshake, 0)]),
  });
  const cost = (server: string, key: string, kind: TlsRow['kind']) => rows.find((r) => r.server === server && r.key === key && r.kind === kind)?.serverCpuUsPerHandshake;
  for (const server of o.servers) {
    const ec = cost(server, 'ecdsa-p256', 'full');
    const rsa = cost(server, 'rsa-2048', 'full');
    const resumed = cost(server, 'ecdsa-p256', 'resumed');
    if (ec && rsa) report.goals.push({ goal: `${server}: server CPU per full handshake, ECDSA / RSA`, measured: `${round(ec / rsa, 2)} (${round(ec, 0)} vs ${round(rsa, 0)} µs)`, met: null });
    if (ec && resumed) report.goals.push({ goal: `${server}: server CPU per handshake, resumed / full (ECDSA)`, measured: `${round(resumed / ec, 2)} (${round(resumed, 0)} vs ${round(ec, 0)} µs)`, met: null });
  }
  report.charts.push({
    id: 'cpu',
    title: 'Server CPU per TLS handshake (µs)',
    kind: 'bars',
    yLabel: 'µs',
    groups: rows.filter((r) => r.kind === 'full').map((r) => `${r.server} ${r.key}`),
    series: (['full', 'resumed', 'resumed, ticket from another process'] as const).map((kind) => ({
      name: kind,
      values: rows.filter((r) => r.kind === 'full').map((f) => round(cost(f.server, f.key, kind) ?? 0, 0)),
    })),
  });
  finish(report, o);
}
