/** Loads the native codec (native/, CommonJS) from ESM code, with its declared types. */
import { createRequire } from 'node:module';
import type * as Codec from '../../../native/index.js';

export type NativeCodec = typeof Codec;
export type NativeDecoder = InstanceType<NativeCodec['Decoder']>;

/** Throws (code E_CODEC_NOT_BUILT) when `npm run build:native` has not been run. */
export function loadNativeCodec(): NativeCodec {
  const require = createRequire(import.meta.url);
  return require('../../../native') as NativeCodec;
}
