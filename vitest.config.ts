import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['protocol/**/*.test.ts', 'gateway/**/*.test.ts', 'clients/**/*.test.ts', 'bench/**/*.test.ts', 'native/**/*.test.ts', 'ops/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'ops/local-cluster/run/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests start real servers (redis-server, gateways); two cores, so keep parallelism modest.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
