import type { GatewayConfig } from '../config/load-config.js';
import type { Logger } from '../log/logger.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { startStunServer, type StunServer } from './stun-server.js';

/**
 * The gateway's STUN endpoint on the port the configuration asks for. stunPort -1 means the TLS port's number
 * (clients then need to know one port only); when the TLS port was picked freely (port 0, tests and benches),
 * that number may be taken for UDP by someone else, so we fall back to a free port rather than fail to start.
 */
export async function startGatewayStun(config: Pick<GatewayConfig, 'host' | 'port' | 'stunPort'>, tlsPort: number, metrics: GatewayMetrics, log: Logger): Promise<StunServer> {
  const port = config.stunPort === -1 ? tlsPort : config.stunPort;
  const start = (p: number) => startStunServer({ host: config.host, port: p, onOutcome: (outcome) => metrics.stunRequests.inc({ outcome }) });
  try {
    return await start(port);
  } catch (err) {
    if (!(config.stunPort === -1 && config.port === 0)) {
      throw new Error(`STUN endpoint: cannot listen on UDP ${config.host}:${port} (${(err as Error).message})`, { cause: err });
    }
    log.warn('stun.port_taken', { port, fallback: 'a free port' });
    return start(0);
  }
}
