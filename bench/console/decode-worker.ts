/**
 * Runs in a Chromium Web Worker (bundled by decode-in-chromium.ts): the console's TypeScript decoder on a
 * recording's packets. `load` hands the packets over once; each `run` decodes all of them from a fresh decoder
 * and answers the time of each packet, for `apply` (decode) and for `updateRgba` (the CPU part of painting: the
 * changed pixels into the ImageData), and the SHA-256 of the final framebuffer. The worker stays up between runs,
 * as the console's does, so later runs measure optimised code. A baseline checkout's decoder (run.ts
 * --baseline-dir) may predate `apply` and `updateRgba`: then `decode` is timed and no RGBA time is reported.
 */
import { Decoder } from '../../clients/codec/index.js';

export type DecodeJob = { type: 'load'; width: number; height: number; packets: ArrayBuffer[] } | { type: 'run' };

export interface DecodeRun {
  decodeMs: number[];
  rgbaMs: number[];
  /** SHA-256 (hex) of the final BGRA framebuffer, to check it against the recording's last frame. */
  sha256: string;
}

interface WorkerScope {
  onmessage: ((ev: MessageEvent<DecodeJob>) => void) | null;
  postMessage(msg: DecodeRun | { loaded: true } | { error: string }): void;
}
const scope = self as unknown as WorkerScope;

let job: { width: number; height: number; packets: Uint8Array[] } | null = null;

scope.onmessage = async (ev) => {
  try {
    const msg = ev.data;
    if (msg.type === 'load') {
      job = { width: msg.width, height: msg.height, packets: msg.packets.map((b) => new Uint8Array(b)) };
      return scope.postMessage({ loaded: true });
    }
    if (!job) throw new Error('run before load');
    const d = new Decoder(job.width, job.height);
    const rgba = new Int32Array(job.width * job.height);
    const decodeMs: number[] = [];
    const rgbaMs: number[] = [];
    const current = typeof d.apply === 'function' && typeof d.updateRgba === 'function';
    for (const packet of job.packets) {
      const t0 = performance.now();
      if (current) d.apply(packet);
      else d.decode(packet);
      const t1 = performance.now();
      if (current) d.updateRgba(rgba);
      decodeMs.push(t1 - t0);
      rgbaMs.push(current ? performance.now() - t1 : NaN);
    }
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', d.frame() as Uint8Array<ArrayBuffer>));
    scope.postMessage({ decodeMs, rgbaMs, sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join('') });
  } catch (err) {
    scope.postMessage({ error: String(err) });
  }
};
