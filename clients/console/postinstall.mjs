// npm postinstall: builds the web console bundle when the sources and esbuild are there. A production install
// (`npm ci --omit=dev`, or the container's dependency layer before the sources are copied) has neither and
// skips; such an install serves a bundle built elsewhere (--console-dir), or none.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const here = new URL('.', import.meta.url).pathname;
let esbuild = true;
try {
  require.resolve('esbuild');
} catch {
  esbuild = false;
}
if (!esbuild || !existsSync(`${here}build.ts`)) {
  console.log('relaydesk: console bundle not built here (no esbuild or no sources); see docs/console.md');
  process.exit(0);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', `${here}build.ts`], { stdio: 'inherit' });
process.exit(r.status ?? 1);
