import { errorCodes, type ErrorCode } from '../../../protocol/error-codes.js';
import { ProtocolError } from '../../../protocol/messages.js';
import type { FormField } from '../../../protocol/pre-session-form.js';

/** The table itself is shared with the clients (protocol/error-codes.ts): one definition for every side. */
export { errorCodes, type ErrorCode };

export interface GatewayErrorOptions {
  /** For E_REDIRECT: where to go. */
  url?: string;
  /** What went wrong underneath: logged (message, stack), never shown to a client. */
  cause?: unknown;
  /** For E_FORM_REQUIRED and E_FORM_INVALID: the form the client should answer. */
  form?: FormField[];
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  /** For E_REDIRECT: where to go. */
  readonly url?: string;
  /** For E_FORM_REQUIRED and E_FORM_INVALID: the form the client should answer. */
  readonly form?: FormField[];
  /** The third argument is the options, or (for E_REDIRECT) the url alone. */
  constructor(code: ErrorCode, message?: string, options?: string | GatewayErrorOptions) {
    const { url, cause, form } = typeof options === 'string' ? { url: options, cause: undefined, form: undefined } : (options ?? {});
    super(message ?? errorCodes[code].message, cause === undefined ? undefined : { cause });
    this.name = 'GatewayError';
    this.code = code;
    if (url) this.url = url;
    if (form) this.form = form;
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
