import https from 'node:https';
import WebSocket from 'ws';
import { ConnectProxyAgent } from './connect-proxy.js';
import { parseBody, type HttpResult, type SocketLike, type Transport } from './transport.js';

export interface NodeTransportOptions {
  /** e.g. https://gateway.example:8443 */
  baseUrl: string;
  /** PEM of the CA to trust (pin). Without it, the system's CAs are used. */
  ca?: string | Buffer;
  /** Source address for outgoing connections (load generators spread these over 127.0.0.0/8). */
  localAddress?: string;
  /** Largest message accepted from the gateway. */
  maxPayload?: number;
  /**
   * Other gateways of the cluster (https URLs) to resume on when the one in use is lost. Without a load
   * balancer in front, list them here (GET /v1/gateways names them); reconnects go round the list.
   */
  failover?: string[];
  /**
   * An HTTP CONNECT proxy, http://[user:password@]host:port (Basic authentication), for networks that let only
   * TCP 443 out through a proxy. `proxyFromEnvironment(process.env)` gives HTTPS_PROXY's.
   */
  proxy?: string;
  /** The agent for API requests (default: a keep-alive https.Agent with `ca` and `localAddress`); not with `proxy`. */
  agent?: https.Agent;
}

/** Node transport: node:https with keep-alive for the API, `ws` for WebSockets; TLS verified against `ca`. */
export function nodeTransport(options: NodeTransportOptions): Transport & { close(): void } {
  const base = new URL(options.baseUrl);
  if (base.protocol !== 'https:') throw new Error(`relaydesk: baseUrl must be https:// (got ${options.baseUrl})`);
  const agentOptions = { keepAlive: true, ca: options.ca, localAddress: options.localAddress, maxSockets: 64 };
  const agent = options.agent ?? (options.proxy ? new ConnectProxyAgent(options.proxy, agentOptions) : new https.Agent(agentOptions));
  // The WebSocket gets its own (non-keep-alive) proxy agent: its socket lives as long as the session.
  const wsAgent = options.proxy ? new ConnectProxyAgent(options.proxy, { ca: options.ca, localAddress: options.localAddress }) : undefined;
  const wsBases = [base, ...(options.failover ?? []).map((u) => new URL(u))].map((u) => `wss://${u.host}`);
  return {
    request(method, path, body, token) {
      return new Promise<HttpResult>((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = https.request(
          new URL(path, base),
          {
            method,
            agent,
            headers: {
              ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              resolve({ status: res.statusCode ?? 0, body: parseBody(Buffer.concat(chunks).toString('utf8')) });
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    },
    connect(path, attempt = 0, redirected) {
      const wsBase = redirected ? `wss://${new URL(redirected).host}` : wsBases[attempt % wsBases.length];
      return new WebSocket(wsBase + path, {
        ca: options.ca,
        localAddress: options.localAddress,
        perMessageDeflate: false,
        agent: wsAgent,
        maxPayload: options.maxPayload ?? 64 << 20,
      }) as unknown as SocketLike;
    },
    close() {
      agent.destroy();
      wsAgent?.destroy();
    },
  };
}
