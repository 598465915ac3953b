/**
 * A one-window share takes the technician's keys into the shared window only: X sends keys to the focus (or,
 * with no focus set, to whatever is under the pointer), so the desktop gives the shared window the focus
 * before typing. Two real xterms under Xvfb; the other one has the pointer and would get the keys otherwise.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, sleep } from '../../gateway/test/e2e/events.js';
import { openDesktop } from './desktop.js';
import { startXServer, type XServer } from './test/x-server.js';

let x: XServer;
const dir = mkdtempSync(join(tmpdir(), 'agent-focus-'));
const otherFile = join(dir, 'other.txt');

beforeAll(async () => {
  x = await startXServer(640, 480);
  x.client('xterm', ['-T', 'shared', '-geometry', '40x10+10+10', '-b', '0', '-e', 'sh'], { LANG: 'C.UTF-8' });
  // The other window records every key it gets.
  x.client('xterm', ['-T', 'other', '-geometry', '40x10+300+250', '-b', '0', '-e', 'sh', '-c', `cat > ${otherFile}`], { LANG: 'C.UTF-8' });
  await sleep(1500);
}, 20_000);

afterAll(async () => {
  await x?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('types into the shared window even when the pointer and the focus are on another one', async () => {
  const { desktop } = openDesktop(x.display, { kind: 'window', name: 'shared' });
  try {
    const shared = desktop.windows().find((w) => w.name === 'shared')!.id;
    const other = (await x.xdotool('search', '--name', '^other$')).split('\n')[0]!;
    await x.xdotool('mousemove', '400', '300'); // over the other xterm: with no focus set, keys would go there
    await x.xdotool('windowfocus', '--sync', other);
    const marker = join(dir, 'typed');
    for (const ch of `touch ${marker}`) {
      desktop.key(ch.charCodeAt(0), true);
      desktop.key(ch.charCodeAt(0), false);
    }
    desktop.key(0xff0d, true); // Return
    desktop.key(0xff0d, false);
    expect(await eventually(() => existsSync(marker), 5000)).toBe(true);
    expect(Number(await x.xdotool('getwindowfocus'))).toBe(shared);
    await sleep(200);
    expect(readFileSync(otherFile, 'utf8')).toBe('');
  } finally {
    desktop.close();
  }
});
