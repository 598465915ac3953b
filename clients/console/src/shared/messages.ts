/**
 * What a person reads for each gateway error code (gateway/src/errors/gateway-error.ts). The code stays
 * visible beside the sentence, so a support ticket can quote it.
 */
const sentences: Record<string, string> = {
  E_AUTH_FAILED: 'Wrong username or password.',
  E_ACCOUNT_LOCKED: 'Too many failed logins: this account is locked for a while. Try again later.',
  E_TOKEN_INVALID: 'Your login has expired or was ended elsewhere. Please log in again.',
  E_SESSION_TAKEN: 'Another technician has already picked up this customer.',
  E_SESSION_NOT_WAITING: 'This customer is no longer waiting.',
  E_SESSION_NOT_FOUND: 'This session does not exist (any more).',
  E_SESSION_EXPIRED: 'This session has expired.',
  E_SESSION_CLOSED: 'This session has ended.',
  E_PEER_GONE: 'The other side has left the session.',
  E_PIN_INVALID: 'This PIN is not valid: it may be mistyped, expired or already used.',
  E_RATE_LIMITED: 'Too many attempts. Please wait a minute and try again.',
  E_NOT_GRANTED: 'The customer has not granted this.',
  E_IDLE_TIMEOUT: 'The session was closed after a long time without activity.',
  E_CAPACITY: 'The service is busy. Please try again in a moment.',
  E_SHUTTING_DOWN: 'The service is restarting. Reconnecting…',
  E_REGISTRY_UNAVAILABLE: 'The service is temporarily unavailable. Please try again shortly.',
  E_TIMEOUT: 'The service did not answer in time. Check your connection and try again.',
  E_INACTIVE: 'You were logged out after a period of inactivity.',
};

/** Why a session ended (the `reason` of a closed state), in words. */
const endings: Record<string, string> = {
  customer_ended: 'The customer ended the session.',
  technician_ended: 'The technician ended the session.',
  customer_left: 'The customer left.',
  technician_left: 'The technician left.',
  revoked: 'The session was revoked.',
  idle_timeout: 'The session was idle too long.',
  expired: 'The session expired.',
  slow_consumer: 'The connection was too slow.',
  gateway_shutdown: 'The service shut down.',
  protocol_error: 'The session ended after a protocol error.',
  resume_timeout: 'The other side did not come back in time.',
};

export function errorSentence(code: string, fallback?: string): string {
  return sentences[code] ?? fallback ?? `Something went wrong (${code}).`;
}

export function endingSentence(reason: string | undefined): string {
  return (reason && endings[reason]) || 'The session has ended.';
}

/** An error thrown by the SDK (RelaydeskError) or anything else, as a code and a sentence. */
export function describeError(err: unknown): { code: string; text: string } {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'E_NETWORK';
  const text = code === 'E_NETWORK' ? 'Cannot reach the service. Check your connection.' : errorSentence(code, (err as Error)?.message);
  return { code, text };
}
