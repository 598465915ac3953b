import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { RelaydeskError } from './errors.js';

/** Bound on the proxy's answer to CONNECT: a silent proxy must not hang a connection attempt. */
const CONNECT_TIMEOUT_MS = 10_000;

export interface ProxyConfig {
  /** http://[user:password@]host:port — the password is sent only as Basic authentication to the proxy. */
  url: string;
}

/**
 * The proxy to use from the environment: HTTPS_PROXY (or https_proxy), as curl and most tools read it;
 * undefined when none is set. (Callers pass the environment in: the SDK itself reads no process.env.)
 */
export function proxyFromEnvironment(env: Readonly<Record<string, string | undefined>>): string | undefined {
  return env.HTTPS_PROXY || env.https_proxy || undefined;
}

/** The proxy URL for messages and logs: never its credentials. */
export function describeProxy(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}

/**
 * An https.Agent whose connections run through an HTTP CONNECT tunnel (RFC 9110 §9.3.6): the proxy sees only
 * the gateway's host and port, TLS runs end to end inside the tunnel and is verified against our own CA as
 * without a proxy. Used for API calls and (through `ws`) the session WebSocket alike.
 */
export class ConnectProxyAgent extends https.Agent {
  private readonly proxy: URL;
  private readonly authorization: string | undefined;

  constructor(proxyUrl: string, options: https.AgentOptions = {}) {
    super(options);
    let proxy: URL;
    try {
      proxy = new URL(proxyUrl);
    } catch {
      throw new RelaydeskError('E_PROXY_CONFIG', 'the proxy must be a URL like http://user:password@proxy.example:3128');
    }
    if (proxy.protocol !== 'http:') throw new RelaydeskError('E_PROXY_CONFIG', `proxy ${describeProxy(proxyUrl)}: only http:// proxies are supported`);
    this.proxy = proxy;
    this.authorization = proxy.username
      ? 'Basic ' + Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')
      : undefined;
  }

  // Node's Agent accepts an asynchronous createConnection: return nothing and call back with the TLS socket.
  override createConnection(requestOptions: http.RequestOptions, callback?: (err: Error | null, socket: Duplex) => void): Duplex | null | undefined {
    // For an https.Agent these are the TLS options of the request (ca, servername…) plus host and port.
    const options = requestOptions as tls.ConnectionOptions & http.RequestOptions;
    const target = `${bracketed(options.host ?? 'localhost')}:${options.port ?? 443}`;
    const where = describeProxy(this.proxy.href);
    const request = http.request({
      host: this.proxy.hostname,
      port: this.proxy.port || 80,
      method: 'CONNECT',
      path: target,
      headers: { host: target, ...(this.authorization ? { 'proxy-authorization': this.authorization } : {}) },
      localAddress: options.localAddress,
      timeout: CONNECT_TIMEOUT_MS,
      agent: false,
    });
    const fail = (err: Error) => {
      request.destroy();
      callback?.(err, undefined as unknown as Duplex);
      callback = undefined;
    };
    request.once('connect', (res, socket, head) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        const code = res.statusCode === 407 ? 'E_PROXY_AUTH' : 'E_PROXY_REFUSED';
        const why = res.statusCode === 407 ? (this.authorization ? 'rejected our credentials' : 'wants credentials') : `answered ${res.statusCode}`;
        return fail(new RelaydeskError(code, `proxy ${where} ${why} for CONNECT ${target}`, res.statusCode));
      }
      if (head.length > 0) socket.unshift(head); // bytes the proxy sent after its answer belong to TLS
      const host = options.host ?? undefined;
      const secure = tls.connect({ ...options, host, socket, servername: options.servername ?? (isIp(host) ? undefined : host) });
      callback?.(null, secure);
      callback = undefined;
    });
    request.once('timeout', () => fail(new RelaydeskError('E_PROXY_UNREACHABLE', `proxy ${where} did not answer CONNECT ${target} within ${CONNECT_TIMEOUT_MS} ms`)));
    request.once('error', (err) => fail(new RelaydeskError('E_PROXY_UNREACHABLE', `proxy ${where}: ${err.message}`)));
    request.end();
    return undefined;
  }
}

const bracketed = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
const isIp = (host: string | null | undefined) => !!host && (/^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':'));
