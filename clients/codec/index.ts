/** Browser decoder for relaydesk screen-delta packets (format: docs/codec.md). */
export { Decoder, type Rect } from './decoder.js';
export { warmUpStreamDecoder as warmUpDecoder } from './stream-decoder.js';
export { CodecError, type CodecErrorCode } from './errors.js';
export { VERSION as FORMAT_VERSION } from './format.js';
export { Encoder } from './encoder.js';
