/** Loads the native module (native/, CommonJS: codec and X11 desktop) from ESM code, with its declared types. */
import { createRequire } from 'node:module';
import type * as Native from '../../native/index.js';

export type NativeModule = typeof Native;
export type { X11Desktop, X11Changes, Encoder } from '../../native/index.js';

let loaded: NativeModule | null = null;

export function loadNative(): NativeModule {
  loaded ??= createRequire(import.meta.url)('../../native') as NativeModule;
  return loaded;
}
