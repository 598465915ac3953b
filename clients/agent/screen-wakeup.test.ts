/**
 * The stream waits on the X connection instead of polling it: an idle desktop costs no wake-ups at all, and
 * a change on the screen (another X client drawing) wakes it at once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, sleep } from '../../gateway/test/e2e/events.js';
import { openDesktop, type Desktop } from './desktop.js';
import { ScreenStream } from './screen-stream.js';
import { startXServer, type XServer } from './test/x-server.js';

let x: XServer;

beforeAll(async () => {
  x = await startXServer(320, 240);
  x.client('xterm', ['-T', 'idle', '-geometry', '30x8+10+10', '-b', '0', '-e', 'sh'], { LANG: 'C.UTF-8' });
  await sleep(1000);
}, 20_000);

afterAll(async () => {
  await x?.stop();
});

/** The desktop with its poll() calls counted (everything else passes through to the native object). */
function counted(desktop: Desktop): { desktop: Desktop; polls: () => number } {
  let polls = 0;
  const proxy = new Proxy(desktop, {
    get(target, key) {
      if (key === 'poll') return () => (polls++, target.poll());
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { desktop: proxy, polls: () => polls };
}

it('sleeps while nothing happens on the display and wakes when X reports a change', async () => {
  const opened = openDesktop(x.display, { kind: 'screen' });
  const { desktop, polls } = counted(opened.desktop);
  const stream = new ScreenStream(desktop, { bufferedAmount: 0, sendRaw: () => {} });
  try {
    stream.run(); // paired, nothing shared yet: only X's events matter
    await sleep(300);
    const settledPolls = polls();
    await sleep(700);
    // A 4 ms timer would have polled ~175 times here.
    expect(polls() - settledPolls).toBeLessThanOrEqual(2);
    const before = polls();
    await x.xdotool('search', '--name', '^idle$', 'windowmove', '40', '40'); // a structure event on the root
    expect(await eventually(() => polls() > before, 2000)).toBe(true);
  } finally {
    stream.close();
    opened.desktop.close();
  }
});

it('while sharing, an idle screen sends nothing and a change (damage) wakes the stream for a frame', async () => {
  const { desktop } = openDesktop(x.display, { kind: 'screen' });
  const frames: number[] = [];
  const stream = new ScreenStream(desktop, { bufferedAmount: 0, sendRaw: (b) => void (b[0] === 0x01 && frames.push(b.byteLength)) });
  try {
    stream.start();
    expect(await eventually(() => frames.length === 1, 3000)).toBe(true); // the keyframe
    await sleep(300);
    const idle = frames.length;
    await sleep(500);
    expect(frames.length).toBe(idle); // nothing changed, nothing sent
    await x.xdotool('mousemove', '60', '60');
    await x.xdotool('type', 'woken');
    expect(await eventually(() => frames.length > idle, 2000)).toBe(true);
  } finally {
    stream.close();
    desktop.close();
  }
});
