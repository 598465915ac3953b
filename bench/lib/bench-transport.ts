import { createSecureContext, type SecureContext } from 'node:tls';
import WebSocket from 'ws';
import type { HttpResult, SocketLike, Transport } from '../../clients/sdk/src/transport.js';
import { nodeTransport } from '../../clients/sdk/src/node.js';

const contexts = new Map<string, SecureContext>();

/**
 * The SDK's Transport for load generation: the same wire protocol and the same certificate checks as
 * `nodeTransport` (the API goes through it as is), but WebSockets share one TLS SecureContext per CA
 * instead of building one per connection. That only saves load-generator CPU (parsing the CA PEM each
 * time cost ~1 ms per connection here); every connection still does a full TLS handshake with the gateway.
 */
export function benchTransport(options: { baseUrl: string; ca?: string; localAddress?: string }): Transport & { close(): void } {
  const api = nodeTransport(options);
  const base = new URL(options.baseUrl);
  let secureContext: SecureContext | undefined;
  if (options.ca) {
    secureContext = contexts.get(options.ca);
    if (!secureContext) contexts.set(options.ca, (secureContext = createSecureContext({ ca: options.ca })));
  }
  const wsBase = `wss://${base.host}`;
  return {
    request: (method, path, body, token): Promise<HttpResult> => api.request(method, path, body, token),
    connect(path) {
      return new WebSocket(wsBase + path, {
        ...(secureContext ? { secureContext } : {}),
        localAddress: options.localAddress,
        perMessageDeflate: false,
        maxPayload: 64 << 20,
        // Load generator only: an all-zero mask lets `ws` skip masking (and its copy) of every frame it sends;
        // the gateway unmasks each frame all the same, so its work is unchanged (RFC 6455 §5.3 wants masks
        // unpredictable against proxies in browsers; nothing between the generator and the gateway here). Not measured alone.
        generateMask: (mask: Buffer) => void mask.fill(0),
      }) as unknown as SocketLike;
    },
    close: () => api.close(),
  };
}
