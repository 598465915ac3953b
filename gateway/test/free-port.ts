import { createServer } from 'node:net';

/**
 * A loopback port that was free a moment ago, for a process that must listen on a fixed port (a port-0
 * bind cannot be shared even with SO_REUSEPORT, so tests of port sharing need a port given explicitly).
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
