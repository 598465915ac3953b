/**
 * `npm start`: one gateway. With no options it runs the embedded default: in-memory registry,
 * technicians in ./data/technicians.json, a self-signed CA in ./data/tls.
 */
import { ConfigError, gatewayUsage, helpAsked, loadConfig } from './config/load-config.js';
import { createLogger } from './log/logger.js';
import { startGateway } from './server/gateway.js';
import { formatStartLines } from './server/start-lines.js';

async function main(): Promise<void> {
  if (helpAsked(process.argv.slice(2))) {
    process.stdout.write(gatewayUsage() + '\n');
    process.exit(0);
  }
  let config;
  try {
    config = loadConfig({ argv: process.argv.slice(2), env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`relaydesk: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ level: config.logLevel });
  let gateway;
  try {
    gateway = await startGateway(config, { log });
  } catch (err) {
    process.stderr.write(`relaydesk: cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  process.stderr.write(
    formatStartLines({ gatewayId: config.gatewayId, host: config.host, port: gateway.port, adminHost: config.adminHost, adminPort: gateway.adminPort, caFingerprint: gateway.caFingerprint }),
  );
  let signals = 0;
  const onSignal = (signal: string) => {
    if (++signals > 1) process.exit(1); // a second Ctrl-C means "now"
    log.info('gateway.signal', { signal });
    gateway.stop().then(
      () => exitWhenWritten(0),
      (err) => {
        log.error('gateway.stop_failed', { err });
        exitWhenWritten(1);
      },
    );
  };
  // Exits once the log's writes under way are done (logger.ts writesDone: otherwise the last lines could come
  // out of order, 'gateway.signal' after 'gateway.stopped', as seen in CI).
  const exitWhenWritten = (code: number) => void log.flush().finally(() => process.exit(code));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

void main();
