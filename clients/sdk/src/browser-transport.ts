import { parseBody, type HttpResult, type SocketLike, type Transport } from './transport.js';

/**
 * Browser transport: fetch and the built-in WebSocket. Certificate trust is the browser's: install the
 * relaydesk CA (or use a certificate of a public CA) on technicians' machines.
 */
export function browserTransport(baseUrl: string): Transport {
  const base = new URL(baseUrl);
  const wsBase = `${base.protocol === 'https:' ? 'wss' : 'ws'}://${base.host}`;
  return {
    async request(method, path, body, token): Promise<HttpResult> {
      const res = await fetch(new URL(path, base), {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: parseBody(await res.text()) };
    },
    connect(path, _attempt, redirected) {
      const Ws = (globalThis as unknown as { WebSocket: new (url: string) => SocketLike }).WebSocket;
      const base = redirected ? `wss://${new URL(redirected).host}` : wsBase;
      return new Ws(base + path);
    },
  };
}
