import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests of the operations material (`npx vitest run --config ops/vitest.config.ts`). The root vitest.config.ts
// includes them too once its `include` lists 'ops/**/*.test.ts'.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['ops/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    maxWorkers: 2,
    minWorkers: 1,
  },
});
