/**
 * Builds the technician console and the customer's browser page into static files with esbuild
 * (no CDN, no inline script or style: the gateway serves them under a strict Content-Security-Policy).
 *
 *   npx tsx clients/console/build.ts [--out DIR]
 *
 * Runs on `npm ci` (postinstall) and, when the bundle is missing or older than its sources, at gateway
 * start-up (gateway/src/server/console-assets.ts). Output: `index.html`, `join.html`, content-hashed
 * files under `assets/` (cached for a year by browsers), and `manifest.json` listing them.
 */
import { build, type Metafile } from 'esbuild';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
export const consoleSourceDir = here;
export const defaultConsoleOutDir = join(here, 'dist');

/** Browsers the console supports: OffscreenCanvas in workers and module scripts. */
export const consoleTarget = ['chrome110', 'firefox115', 'safari17'];

export interface ConsoleManifest {
  builtAt: number;
  /** Paths relative to the output folder, including the two pages. */
  files: string[];
  /** Total bytes of the JavaScript and CSS a technician downloads for the console page. */
  consoleBytes: number;
}

/** Every source the bundle depends on: the console, the SDK and the codec (newest mtime decides staleness). */
export const consoleSourceRoots = [join(here, 'src'), join(here, 'build.ts'), join(here, '../sdk/src'), join(here, '../codec'), join(here, '../../protocol')];

/** Newest modification time among the console's sources (ms). */
export async function newestSourceMtime(roots = consoleSourceRoots): Promise<number> {
  let newest = 0;
  const walk = async (path: string): Promise<void> => {
    const s = await stat(path);
    if (s.isDirectory()) for (const e of await readdir(path)) await walk(join(path, e));
    else if (!path.endsWith('.test.ts')) newest = Math.max(newest, s.mtimeMs);
  };
  for (const r of roots) await walk(r);
  return newest;
}

/**
 * Builds into a fresh temporary folder next to `outDir` and swaps it in with a rename, so a gateway
 * reading the folder (or two builds racing at start-up) never sees half a bundle.
 */
export async function buildConsole(outDir = defaultConsoleOutDir): Promise<ConsoleManifest> {
  const tmp = `${outDir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await mkdir(join(tmp, 'assets'), { recursive: true });
  try {
    // The workers first: the pages need their hashed file names.
    const worker = await build({
      entryPoints: { 'screen-worker': join(here, 'src/console/screen-worker.ts'), 'share-worker': join(here, 'src/join/share-worker.ts') },
      outdir: join(tmp, 'assets'),
      entryNames: '[name]-[hash]',
      bundle: true,
      minify: true,
      format: 'iife',
      target: consoleTarget,
      metafile: true,
      logLevel: 'silent',
    });
    const workerFiles = outputsOf(worker.metafile, tmp);
    const workerFile = workerFiles.find((f) => f.startsWith('assets/screen-worker-'))!;
    const shareWorkerFile = workerFiles.find((f) => f.startsWith('assets/share-worker-'))!;
    const pages = await build({
      entryPoints: {
        console: join(here, 'src/console/main.ts'),
        join: join(here, 'src/join/main.ts'),
        'console-style': join(here, 'src/style.css'),
      },
      outdir: join(tmp, 'assets'),
      entryNames: '[name]-[hash]',
      bundle: true,
      minify: true,
      format: 'esm',
      target: consoleTarget,
      metafile: true,
      logLevel: 'silent',
      define: { __SCREEN_WORKER_URL__: JSON.stringify('/' + workerFile), __SHARE_WORKER_URL__: JSON.stringify('/' + shareWorkerFile) },
    });
    const out = outputsOf(pages.metafile, tmp);
    const find = (prefix: string, ext: string) => {
      const f = out.find((p) => p.startsWith(`assets/${prefix}-`) && p.endsWith(ext));
      if (!f) throw new Error(`console build: no output for ${prefix}${ext}`);
      return '/' + f;
    };
    const css = find('console-style', '.css');
    await writeFile(join(tmp, 'index.html'), page('relaydesk console', find('console', '.js'), css));
    await writeFile(join(tmp, 'join.html'), page('relaydesk: get help', find('join', '.js'), css));
    const files = ['index.html', 'join.html', ...workerFiles, ...out].sort();
    let consoleBytes = 0;
    for (const f of [workerFile, find('console', '.js').slice(1), css.slice(1)]) consoleBytes += (await stat(join(tmp, f))).size;
    const manifest: ConsoleManifest = { builtAt: Date.now(), files, consoleBytes };
    await writeFile(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
    await rm(outDir, { recursive: true, force: true });
    await rename(tmp, outDir);
    return manifest;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

function outputsOf(meta: Metafile, root: string): string[] {
  return Object.keys(meta.outputs)
    .map((p) => relative(root, p))
    .filter((p) => !p.endsWith('.map'));
}

/** The HTML shell: no inline script or style, nothing but the two hashed assets. */
function page(title: string, script: string, css: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${css}">
<script type="module" src="${script}"></script>
</head>
<body>
<noscript>relaydesk needs JavaScript.</noscript>
<main id="app" aria-live="polite"></main>
</body>
</html>
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const started = Date.now();
  const manifest = await buildConsole(values.out ?? defaultConsoleOutDir);
  console.log(`console built in ${Date.now() - started} ms: ${manifest.files.length} files, console page ${(manifest.consoleBytes / 1024).toFixed(1)} KiB`);
}
