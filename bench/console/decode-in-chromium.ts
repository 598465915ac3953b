/**
 * Decode time per packet in Chromium, apart from everything else the console does: the console's decoder,
 * bundled as the console bundles it, in a dedicated Web Worker of a blank page (decode-worker.ts). The page is
 * served (by playwright, not the gateway) on the gateway's HTTPS origin: a secure context, as the console is.
 */
import { build } from 'esbuild';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { consoleTarget } from '../../clients/console/build.js';
import type { DecodeJob, DecodeResult } from './decode-worker.js';

let bundle: Promise<string> | null = null;

function workerSource(): Promise<string> {
  bundle ??= build({
    entryPoints: [join(import.meta.dirname, 'decode-worker.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: consoleTarget,
    write: false,
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text);
  return bundle;
}

export async function decodeInChromium(context: BrowserContext, origin: string, width: number, height: number, packets: Uint8Array[], reps: number): Promise<DecodeResult> {
  const source = await workerSource();
  const page = await context.newPage();
  try {
    const url = `${origin}/bench-decode-${process.pid}`;
    await page.route(url, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>decode</title>' }));
    await page.goto(url);
    const b64 = packets.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('base64'));
    const result = await page.evaluate(
      ([src, job]) =>
        new Promise<DecodeResult | { error: string }>((resolve) => {
          const worker = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
          worker.onmessage = (ev) => resolve(ev.data);
          worker.onerror = (ev) => resolve({ error: ev.message });
          const buffers = job.packets.map((s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0)).buffer);
          worker.postMessage({ width: job.width, height: job.height, reps: job.reps, packets: buffers } satisfies DecodeJob, buffers);
        }),
      [source, { width, height, reps, packets: b64 }] as const,
    );
    if ('error' in result) throw new Error(`decoding in Chromium failed: ${result.error}`);
    return result;
  } finally {
    await page.close();
  }
}
