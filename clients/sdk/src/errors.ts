import type { FormField } from '../../../protocol/pre-session-form.js';

/** An error the gateway answered with (`code` is one of the gateway's stable codes, e.g. E_PIN_INVALID). */
export class RelaydeskError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** HTTP status, or the WebSocket close code. */
    readonly status?: number,
    /** With E_FORM_REQUIRED and E_FORM_INVALID: the organisation's pre-session form to answer. */
    readonly form?: FormField[],
  ) {
    super(message);
    this.name = 'RelaydeskError';
  }
}
