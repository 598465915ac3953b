/**
 * Decode time per packet in Chromium, apart from everything else the console does: the console's decoder,
 * bundled as the console bundles it, in a dedicated Web Worker of a blank page (decode-worker.ts). The page is
 * served (by playwright, not the gateway) on the gateway's HTTPS origin: a secure context, as the console is.
 * One run at a time, so a caller can interleave these runs with the native decoder's and both see the same load.
 */
import { build, type Plugin } from 'esbuild';
import { join, resolve } from 'node:path';
import type { BrowserContext, JSHandle, Page } from 'playwright-core';
import { consoleTarget } from '../../clients/console/build.js';
import type { DecodeJob, DecodeRun } from './decode-worker.js';

const bundles = new Map<string, Promise<string>>();

/** The worker, with this checkout's decoder or (baselineDir) the one of another checkout, for before/after. */
function workerSource(baselineDir?: string): Promise<string> {
  const key = baselineDir ?? '';
  if (!bundles.has(key)) {
    const codec = baselineDir ? join(resolve(baselineDir), 'clients', 'codec', 'index.ts') : undefined;
    const swapCodec: Plugin = {
      name: 'baseline-codec',
      setup(b) {
        if (codec) b.onResolve({ filter: /\/clients\/codec\/index\.js$/ }, () => ({ path: codec }));
      },
    };
    const out = build({
      entryPoints: [join(import.meta.dirname, 'decode-worker.ts')],
      bundle: true,
      minify: true,
      format: 'iife',
      target: consoleTarget,
      write: false,
      logLevel: 'silent',
      plugins: [swapCodec],
    }).then((r) => r.outputFiles[0]!.text);
    bundles.set(key, out);
  }
  return bundles.get(key)!;
}

type Ask = (msg: DecodeJob, transfer?: ArrayBuffer[]) => Promise<unknown>;

export class ChromiumDecoder {
  private constructor(
    private readonly page: Page,
    private readonly ask: JSHandle<Ask>,
  ) {}

  /** A worker holding these packets (codec packets, no screen header); `baselineDir`: another checkout's decoder. */
  static async open(context: BrowserContext, origin: string, width: number, height: number, packets: Uint8Array[], baselineDir?: string): Promise<ChromiumDecoder> {
    const source = await workerSource(baselineDir);
    const page = await context.newPage();
    try {
      const url = `${origin}/bench-decode-${process.pid}-${baselineDir ? 'baseline' : 'ours'}`;
      await page.route(url, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>decode</title>' }));
      await page.goto(url);
      const ask = await page.evaluateHandle((src) => {
        const worker = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
        return ((msg: unknown, transfer: ArrayBuffer[] = []) =>
          new Promise((resolve) => {
            worker.onmessage = (ev) => resolve(ev.data);
            worker.onerror = (ev) => resolve({ error: ev.message });
            worker.postMessage(msg, transfer);
          })) as Ask;
      }, source);
      const b64 = packets.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('base64'));
      const loaded = await page.evaluate(
        ([ask, job]) => {
          const buffers = job.packets.map((s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0)).buffer);
          return ask({ type: 'load', width: job.width, height: job.height, packets: buffers }, buffers);
        },
        [ask, { width, height, packets: b64 }] as const,
      );
      check(loaded);
      return new ChromiumDecoder(page, ask);
    } catch (err) {
      await page.close();
      throw err;
    }
  }

  /** Decodes every packet once, with the worker's decoder (the first packet, a keyframe, resets it). */
  async run(): Promise<DecodeRun> {
    return check(await this.page.evaluate((ask) => ask({ type: 'run' }), this.ask)) as DecodeRun;
  }

  close(): Promise<void> {
    return this.page.close();
  }
}

function check(answer: unknown): unknown {
  if (answer && typeof answer === 'object' && 'error' in answer) throw new Error(`decoding in Chromium failed: ${String(answer.error)}`);
  return answer;
}
