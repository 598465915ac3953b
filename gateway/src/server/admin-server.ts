import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { hostPort, listenErrorReason } from './listen.js';

export interface AdminChecks {
  /** Ready = registry answers and the gateway is not draining; load balancers route by it. */
  ready(): { ready: boolean; checks: Record<string, boolean> };
}

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Answers for requests node's HTTP parser refuses, sent at once before closing (issue 13: malformed
 * requests hung ~10 s on uWS 20.30, whose parser cannot tell them from incomplete ones, docs/security.md).
 */
const parseErrorReplies: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_INVALID_VERSION: '505 HTTP Version Not Supported',
};

/**
 * The admin listener: plain HTTP on its own port (loopback by default), so operators can scrape and probe
 * it without a client certificate and without it ever sharing a port with customer traffic. It runs on
 * node:http rather than uWS so that probes that speak HTTP/1.0 (HAProxy's httpchk) get an answer, and
 * malformed requests get 400 / 431 / 505 at once.
 */
export async function startAdminServer(metrics: GatewayMetrics, checks: AdminChecks, host: string, port: number): Promise<AdminServer> {
  const server = createServer({ requireHostHeader: true, maxHeaderSize: 16 * 1024 }, (req, res) => handle(req, res, metrics, checks));
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const status = parseErrorReplies[err.code ?? ''] ?? '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`admin listener: cannot listen on ${hostPort(host, port)}: ${listenErrorReason(err, host, port)}`)));
    server.listen({ port, host, exclusive: true }, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function handle(req: IncomingMessage, res: ServerResponse, metrics: GatewayMetrics, checks: AdminChecks): void {
  const path = (req.url ?? '/').split('?')[0];
  const reply = (status: number, body: unknown, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  // node's parser takes "GET /" (HTTP/0.9) and "HTTP/2.0" request lines; only 1.0 and 1.1 are HTTP/1 here.
  if (req.httpVersion !== '1.0' && req.httpVersion !== '1.1') {
    res.shouldKeepAlive = false;
    return reply(505, { error: { code: 'E_BAD_REQUEST', message: 'HTTP/1.0 or HTTP/1.1 only' } });
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(404, { error: { code: 'E_NOT_FOUND', message: 'no such endpoint' } });
  if (path === '/metrics') {
    metrics.registry.metrics().then(
      (text) => reply(200, text, metrics.registry.contentType),
      () => reply(500, 'metrics unavailable\n', 'text/plain'),
    );
    return;
  }
  // Liveness: the event loop answers. Never depends on Redis, or an outage would restart every gateway.
  if (path === '/healthz') return reply(200, { alive: true });
  if (path === '/readyz') {
    const r = checks.ready();
    return reply(r.ready ? 200 : 503, r);
  }
  reply(404, { error: { code: 'E_NOT_FOUND', message: 'no such endpoint' } });
}
