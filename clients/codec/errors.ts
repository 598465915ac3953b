/**
 * Errors of the browser decoder. `code` matches the native decoder's `err.code` for the same
 * packet, so callers handle both the same way.
 */
export type CodecErrorCode =
  | 'E_CODEC_TRUNCATED'
  | 'E_CODEC_CORRUPT'
  | 'E_CODEC_BAD_MAGIC'
  | 'E_CODEC_VERSION'
  | 'E_CODEC_DIMENSIONS'
  | 'E_CODEC_ARGUMENT';

export class CodecError extends Error {
  readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string) {
    super(message);
    this.name = 'CodecError';
    this.code = code;
  }
}
