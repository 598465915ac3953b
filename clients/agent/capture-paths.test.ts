/**
 * Both capture paths give the screen as an independent capture (ffmpeg x11grab) sees it: the shared-memory
 * frame the X server copies damage into (desktop.frame()), and any other buffer, filled by XShmGetImage and a
 * copy that sets alpha (what a server without shared pixmaps gets).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sleep } from '../../gateway/test/e2e/events.js';
import { openDesktop } from './desktop.js';
import { pixelDifferences } from './test/technician-view.js';
import { startXServer, type XServer } from './test/x-server.js';

const W = 320;
const H = 200;
let x: XServer;

beforeAll(async () => {
  x = await startXServer(W, H);
  x.client('xterm', ['-geometry', '40x8+5+5', '-b', '0', '-e', 'sh', '-c', 'ls -la /; sleep 60'], { LANG: 'C.UTF-8' });
  await sleep(1500);
}, 20_000);

afterAll(async () => {
  await x?.stop();
});

it('the shared-memory frame and a plain buffer both hold the screen; grab reports what it wrote', async () => {
  const { desktop } = openDesktop(x.display, { kind: 'screen' });
  try {
    const shm = desktop.frame();
    const plain = Buffer.alloc(W * H * 4);
    const changed = new Int32Array(8);
    expect(desktop.grab(shm, true, changed)).toBe(1);
    expect([...changed.subarray(0, 4)]).toEqual([0, 0, W, H]);
    desktop.grab(plain, true);
    const screen = await x.capture(0, 0, W, H);
    expect(pixelDifferences(shm, screen)).toEqual([]);
    expect(pixelDifferences(plain, screen)).toEqual([]);
    // The copying path sets alpha; the shared frame keeps X's padding byte (the encoder runs opaque).
    expect(plain.every((b, i) => i % 4 !== 3 || b === 0xff)).toBe(true);
    expect(screen.some((b, i) => i % 4 !== 3 && b !== 0)).toBe(true);
    // Damage from before the first grab is still pending once; after it, a still screen has nothing to grab.
    desktop.poll();
    desktop.grab(shm, false, changed);
    await sleep(100);
    desktop.poll();
    expect(desktop.grab(shm, false, changed)).toBe(0);
    expect(() => desktop.grab(shm, false, new Float64Array(4) as unknown as Int32Array)).toThrow(expect.objectContaining({ code: 'E_X11_ARGUMENT' }));
  } finally {
    desktop.close();
  }
});
