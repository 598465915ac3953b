import { readFileSync } from 'node:fs';
import { RelaydeskClient } from '../../clients/sdk/src/node.js';
import { benchTransport, type TlsTickets } from './bench-transport.js';
import { UsageError } from './options.js';

/** One gateway to drive: its base URL and the CA its clients pin. */
export interface Target {
  baseUrl: string;
  host: string;
  port: number;
  /** PEM of the CA to pin; undefined = the system's CAs. */
  ca?: string;
}

export interface Credentials {
  username: string;
  password: string;
}

/**
 * `--target https://host:port` (repeatable or comma-separated: several gateways of one cluster share the
 * load round robin) and `--ca FILE` (the deployment's CA PEM, pinned: nothing else is trusted).
 */
export function parseTargets(urls: string[], caFile?: string): Target[] {
  const ca = caFile ? readFileSync(caFile, 'utf8') : undefined;
  if (caFile && !/-----BEGIN CERTIFICATE-----/.test(ca ?? '')) throw new UsageError(`--ca ${caFile}: not a PEM certificate`);
  return urls.map((u) => {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new UsageError(`--target ${u}: not a URL (expected https://host:port)`);
    }
    if (url.protocol !== 'https:') throw new UsageError(`--target ${u}: must be https://`);
    const port = Number(url.port || 443);
    return { baseUrl: `https://${url.host}`, host: url.hostname, port, ca };
  });
}

/** `--login user:password` (repeatable): technicians of the deployment under test. */
export function parseLogins(list: string[]): Credentials[] {
  return list.map((s) => {
    const i = s.indexOf(':');
    if (i <= 0) throw new UsageError(`--login ${s}: expected user:password`);
    return { username: s.slice(0, i), password: s.slice(i + 1) };
  });
}

/**
 * A client of `target` whose connections leave from `localAddress`; close() frees its sockets. `resumeTls`: its
 * connections resume TLS sessions as one browser's would (bench-transport.ts); for clients that stand for one person.
 */
export function clientFor(target: Target, localAddress?: string, handshakeTimeoutMs = 10_000, resumeTls = false): { client: RelaydeskClient; close(): void; tickets?: TlsTickets } {
  const transport = benchTransport({ baseUrl: target.baseUrl, ca: target.ca, localAddress, resumeTls });
  return { client: new RelaydeskClient(transport, { handshakeTimeoutMs }), close: () => transport.close(), ...(transport.tickets ? { tickets: transport.tickets } : {}) };
}
