import { Redis } from 'ioredis';
import type { RedisServer } from './redis-server.js';

/**
 * The harness a configuration-store contract suite (accounts, organisations) runs on Redis with: one server
 * for the file, a fresh key prefix per case, and "another process" as a store on its own connection.
 */
export function redisStoreHarness<S>(server: () => RedisServer, name: string, make: (redis: Redis, keyPrefix: string) => S) {
  let seq = 0;
  return async () => {
    const keyPrefix = `${name}${++seq}:`;
    const clients: Redis[] = [];
    const client = () => {
      const c = new Redis(server().url);
      clients.push(c);
      return c;
    };
    return {
      store: make(client(), keyPrefix),
      openAnother: async () => make(client(), keyPrefix),
      cleanup: async () => {
        await Promise.all(clients.map((c) => c.quit().catch(() => {})));
      },
    };
  };
}
