import { errorCodes, type ErrorCode } from '../../../protocol/error-codes.js';
import { ProtocolError } from '../../../protocol/messages.js';

/** The table itself is shared with the clients (protocol/error-codes.ts): one definition for every side. */
export { errorCodes, type ErrorCode };

export interface GatewayErrorOptions {
  /** For E_REDIRECT: where to go. */
  url?: string;
  /** What went wrong underneath: logged (message, stack), never shown to a client. */
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  /** For E_REDIRECT: where to go. */
  readonly url?: string;
  /** The third argument is the options, or (for E_REDIRECT) the url alone. */
  constructor(code: ErrorCode, message?: string, options?: string | GatewayErrorOptions) {
    const { url, cause } = typeof options === 'string' ? { url: options, cause: undefined } : (options ?? {});
    super(message ?? errorCodes[code].message, cause === undefined ? undefined : { cause });
    this.name = 'GatewayError';
    this.code = code;
    if (url) this.url = url;
  }
  get httpStatus(): number {
    return errorCodes[this.code].http;
  }
  get closeCode(): number {
    return errorCodes[this.code].close;
  }
}

/**
 * Unknown throwables become E_INTERNAL so internals never leak to a client; the original stays as `cause`,
 * so the log line of the internal error says what actually failed and where.
 */
export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  // Malformed client input found by the shared protocol definition: the client is told exactly what.
  if (err instanceof ProtocolError) return new GatewayError(err.code, err.message);
  return new GatewayError('E_INTERNAL', undefined, { cause: err });
}
