import uws from 'uWebSockets.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { writeReply } from './http-io.js';

export interface AdminChecks {
  /** Ready = registry answers and the gateway is not draining; load balancers route by it. */
  ready(): { ready: boolean; checks: Record<string, boolean> };
}

/**
 * The admin listener: plain HTTP on its own port (loopback by default), so operators can scrape and probe
 * it without a client certificate and without it ever sharing a port with customer traffic.
 */
export function createAdminApp(metrics: GatewayMetrics, checks: AdminChecks): uws.TemplatedApp {
  const app = uws.App();
  app.get('/metrics', (res) => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    metrics.registry.metrics().then(
      (text) => !aborted && writeReply(res, { status: 200, body: text }, metrics.registry.contentType),
      () => !aborted && writeReply(res, { status: 500, body: 'metrics unavailable\n' }, 'text/plain'),
    );
  });
  // Liveness: the event loop answers. Never depends on Redis, or an outage would restart every gateway.
  app.get('/healthz', (res) => writeReply(res, { status: 200, body: { alive: true } }));
  app.get('/readyz', (res) => {
    const r = checks.ready();
    writeReply(res, { status: r.ready ? 200 : 503, body: r });
  });
  app.any('/*', (res) => writeReply(res, { status: 404, body: { error: { code: 'E_NOT_FOUND', message: 'no such endpoint' } } }));
  return app;
}
