/** Real screen content at a small size for the SDK's screen tests: crops of a native/testdata recording. */
import { join } from 'node:path';
import { loadFrames } from '../../../../bench/codec/frames.js';
import { loadNative } from '../../../../bench/codec/native.js';

export const codec = loadNative();
/** The size of the SDK tests' screen. */
export const W = 320;
export const H = 200;

let clip: ReturnType<typeof loadFrames> | undefined;

export function croppedFrames(width: number, height: number, at = { x: 200, y: 120 }): Buffer[] {
  const c = (clip ??= loadFrames(join(import.meta.dirname, '..', '..', '..', '..', 'native', 'testdata', 'desk-drag-clip.mkv')));
  return c.frames.map((f) => {
    const out = Buffer.alloc(width * height * 4);
    for (let y = 0; y < height; y++) f.copy(out, y * width * 4, ((at.y + y) * c.width + at.x) * 4, ((at.y + y) * c.width + at.x + width) * 4);
    return out;
  });
}
