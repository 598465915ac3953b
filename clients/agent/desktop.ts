/**
 * The platform interface the agent drives (docs/agent.md): what a desktop must offer so that the rest of the
 * agent (pacing, consent, input checks, the wire) stays the same on every platform. X11Desktop (native/src/x11)
 * implements it on Linux; Windows, macOS and Wayland would implement the same methods.
 */
import { loadNative, type X11Changes, type X11Desktop } from './native.js';

export type Changes = X11Changes;

/**
 * Every method the agent uses, with X11Desktop's signatures (native/index.d.ts documents each); another
 * platform's native class provides the same ones (docs/agent.md).
 */
export type Desktop = Pick<
  X11Desktop,
  'width' | 'height' | 'monitors' | 'windows' | 'share' | 'poll' | 'watch' | 'unwatch' | 'queued' | 'frame' | 'grab' | 'pointer' | 'cursorShape' | 'move' | 'button' | 'wheel' | 'key' | 'releaseAll' | 'setClipboard' | 'close'
>;

export type ShareTarget = { kind: 'screen' } | { kind: 'monitor'; index: number } | { kind: 'window'; id: number } | { kind: 'window'; name: string };

/** Opens the X display and selects what to share. Throws the native E_X11_… errors (a missing display, window, monitor). */
export function openDesktop(display: string | undefined, target: ShareTarget): { desktop: Desktop; kind: 'monitor' | 'window'; label: string } {
  const desktop = new (loadNative().X11Desktop)(display);
  try {
    switch (target.kind) {
      case 'screen':
        desktop.share();
        return { desktop, kind: 'monitor', label: `the whole screen (${desktop.width}x${desktop.height})` };
      case 'monitor': {
        desktop.share({ monitor: target.index });
        const m = desktop.monitors()[target.index]!;
        return { desktop, kind: 'monitor', label: `monitor ${target.index} "${m.name}" (${m.width}x${m.height})` };
      }
      case 'window': {
        const id = 'id' in target ? target.id : findWindow(desktop, target.name);
        desktop.share({ window: id });
        const name = desktop.windows().find((w) => w.id === id)?.name ?? `0x${id.toString(16)}`;
        return { desktop, kind: 'window', label: `the window "${name}" only` };
      }
    }
  } catch (err) {
    desktop.close();
    throw err;
  }
}

function findWindow(desktop: Desktop, name: string): number {
  const wins = desktop.windows();
  const exact = wins.filter((w) => w.name === name);
  const partial = exact.length ? exact : wins.filter((w) => w.name.toLowerCase().includes(name.toLowerCase()));
  if (partial.length === 1) return partial[0]!.id;
  const list = wins.map((w) => `  0x${w.id.toString(16)} ${w.name}`).join('\n');
  const err = new Error(partial.length ? `several windows match "${name}"; pick one by id:\n${list}` : `no window named "${name}"; windows:\n${list}`) as Error & { code: string };
  err.code = 'E_X11_WINDOW';
  throw err;
}

/** `--window` takes an id (decimal or 0x hex) or a name. */
export function parseWindowArg(arg: string): ShareTarget {
  return /^(0x[0-9a-f]+|\d+)$/i.test(arg) ? { kind: 'window', id: Number(arg) } : { kind: 'window', name: arg };
}
