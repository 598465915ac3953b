import uws from 'uWebSockets.js';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.js';
import { createGatewayMetrics } from '../metrics/gateway-metrics.js';
import { route } from './http-io.js';
import { listen } from './listen.js';

describe('route(): a handler that throws a bug', () => {
  const lines: string[] = [];
  const app = uws.App();
  const deps = { metrics: createGatewayMetrics('t'), log: createLogger({ write: (l) => lines.push(l) }), maxBodyBytes: 1024 };
  route(app, 'get', '/v1/broken', 'broken', async () => {
    const settings = undefined as unknown as { limits: { max: number } };
    return { status: 200, body: { max: settings.limits.max } }; // a TypeError, as a real bug would throw
  }, deps);
  const listening = listen(app, '127.0.0.1', 0, 'test listener');
  afterAll(async () => uws.us_listen_socket_close((await listening).socket));

  it('answers E_INTERNAL only, and logs the TypeError with its message and stack', async () => {
    const { port } = await listening;
    const res = await fetch(`http://127.0.0.1:${port}/v1/broken`);
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ error: { code: 'E_INTERNAL', message: 'internal error' } });
    expect(text).not.toMatch(/TypeError|limits|http-io\.test/);

    const logged = lines.map((l) => JSON.parse(l)).filter((e) => e.event === 'http.internal_error');
    expect(logged).toHaveLength(1);
    const [line] = logged;
    expect(line).toMatchObject({ level: 'error', route: 'broken', err: { type: 'GatewayError', code: 'E_INTERNAL' } });
    expect(line.err.cause.type).toBe('TypeError');
    expect(line.err.cause.message).toContain("reading 'limits'");
    expect(line.err.cause.stack).toMatch(/^TypeError: .*\n\s+at .*http-io\.test\.ts:\d+/);
  });
});
