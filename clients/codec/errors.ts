/**
 * Errors of the browser codec. `code` matches the native codec's `err.code` for the same input,
 * so callers handle both the same way.
 */
export type CodecErrorCode =
  | 'E_CODEC_TRUNCATED'
  | 'E_CODEC_CORRUPT'
  | 'E_CODEC_BAD_MAGIC'
  | 'E_CODEC_VERSION'
  | 'E_CODEC_DIMENSIONS'
  | 'E_CODEC_FRAME_SIZE'
  | 'E_CODEC_ARGUMENT';

export class CodecError extends Error {
  readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string) {
    super(message);
    this.name = 'CodecError';
    this.code = code;
  }
}
