import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { Logger } from '../log/logger.js';

/**
 * Serves the technician console (`/`) and the customer's browser page (`/join`) from the esbuild bundle
 * (clients/console/build.ts), held in memory. Pages are revalidated on every load; the content-hashed
 * assets are immutable for a year. Every answer carries a Content-Security-Policy without 'unsafe-inline'.
 */

/**
 * Nothing but our own origin: scripts and styles only from files (no inline, no eval), WebSockets back to
 * this gateway, workers from our files, the screen canvas images from blobs. No framing (clickjacking).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
  cacheControl: string;
}

export interface ConsoleBundle {
  /** URL path → asset. */
  assets: Map<string, Asset>;
  dir: string;
}

/** Loads the bundle in `dir`, building it first when it is missing or older than its sources. */
export async function loadConsoleBundle(dir: string | undefined, log: Logger): Promise<ConsoleBundle | null> {
  const builder = await import('../../../clients/console/build.js').catch(() => null);
  const outDir = dir ?? builder?.defaultConsoleOutDir;
  if (!outDir) return null;
  const manifestPath = join(outDir, 'manifest.json');
  const builtAt = await stat(manifestPath).then((s) => s.mtimeMs, () => 0);
  // Only the default bundle is rebuilt: a folder given by the operator is theirs.
  if (builder && dir === undefined && (builtAt === 0 || (await builder.newestSourceMtime()) > builtAt)) {
    const started = Date.now();
    try {
      await builder.buildConsole(outDir);
      log.info('console.built', { ms: Date.now() - started, dir: outDir });
    } catch (err) {
      log.error('console.build_failed', { err, fix: 'npm ci (installs esbuild), then npx tsx clients/console/build.ts' });
    }
  }
  // Another gateway of this checkout may be swapping in a fresh build (build.ts renames it into place): read again.
  for (let attempt = 0; ; attempt++) {
    try {
      return { assets: await readBundle(outDir), dir: outDir };
    } catch (err) {
      if (attempt < 3 && dir === undefined && builder) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      log.warn('console.missing', { dir: outDir, err, fix: 'npx tsx clients/console/build.ts' });
      return null;
    }
  }
}

async function readBundle(outDir: string): Promise<Map<string, Asset>> {
  const manifest = JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8')) as { files: string[] };
  const assets = new Map<string, Asset>();
  for (const file of manifest.files) {
    const body = await readFile(join(outDir, file));
    const isPage = file.endsWith('.html');
    const asset: Asset = {
      body,
      contentType: contentTypes[extname(file)] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      // Pages name the hashed assets, so a page must be revalidated; an asset never changes under its name.
      cacheControl: isPage ? 'no-cache' : 'public, max-age=31536000, immutable',
    };
    if (file === 'index.html') assets.set('/', asset);
    else if (file === 'join.html') assets.set('/join', asset);
    else assets.set('/' + file, asset);
  }
  return assets;
}

/** Registers GET and HEAD of `/`, `/join` and `/assets/*`. Call before the API's catch-all 404. */
export function registerConsole(app: TemplatedApp, bundle: ConsoleBundle, onServed: (route: string, status: number) => void): void {
  const serve = (res: HttpResponse, req: HttpRequest) => {
    const path = req.getUrl();
    const head = req.getMethod() === 'head';
    const asset = bundle.assets.get(path);
    const ifNoneMatch = req.getHeader('if-none-match');
    res.cork(() => {
      if (!asset) {
        res.writeStatus('404 Not Found');
        writeSecurityHeaders(res);
        res.writeHeader('content-type', 'text/plain; charset=utf-8');
        res.end('not found\n');
        onServed('console_asset', 404);
        return;
      }
      const fresh = ifNoneMatch !== '' && ifNoneMatch.split(/\s*,\s*/).includes(asset.etag);
      res.writeStatus(fresh ? '304 Not Modified' : '200 OK');
      writeSecurityHeaders(res);
      res.writeHeader('cache-control', asset.cacheControl);
      res.writeHeader('etag', asset.etag);
      if (fresh) {
        res.endWithoutBody();
      } else if (head) {
        // endWithoutBody(length) aborts this uWS build; the header itself works.
        res.writeHeader('content-type', asset.contentType);
        res.writeHeader('content-length', String(asset.body.byteLength));
        res.endWithoutBody();
      } else {
        res.writeHeader('content-type', asset.contentType);
        res.end(asset.body);
      }
      onServed(path.startsWith('/assets/') ? 'console_asset' : 'console_page', fresh ? 304 : 200);
    });
  };
  for (const pattern of ['/', '/join', '/assets/*']) {
    app.get(pattern, serve);
    app.head(pattern, serve);
  }
}

function writeSecurityHeaders(res: HttpResponse): void {
  res.writeHeader('content-security-policy', CONSOLE_CSP);
  res.writeHeader('x-content-type-options', 'nosniff');
  res.writeHeader('referrer-policy', 'no-referrer');
  res.writeHeader('cross-origin-opener-policy', 'same-origin');
  res.writeHeader('cross-origin-resource-policy', 'same-origin');
  // The customer page asks for screen capture; nothing asks for camera, microphone or location.
  res.writeHeader('permissions-policy', 'camera=(), microphone=(), geolocation=(), display-capture=(self)');
}
