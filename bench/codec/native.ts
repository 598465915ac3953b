/** Loads the native codec (native/, CommonJS) from ESM code, with its declared types. */
import { createRequire } from 'node:module';
import type * as Codec from '../../native/index.js';

export type NativeCodec = typeof Codec;

export function loadNative(): NativeCodec {
  const require = createRequire(import.meta.url);
  return require('../../native') as NativeCodec;
}
