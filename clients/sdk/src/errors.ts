/** An error the gateway answered with (`code` is one of the gateway's stable codes, e.g. E_PIN_INVALID). */
export class RelaydeskError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** HTTP status, or the WebSocket close code. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RelaydeskError';
  }
}
