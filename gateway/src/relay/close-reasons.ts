import { errorCodes, type ErrorCode } from '../errors/gateway-error.js';
import type { CloseReason } from '../session/session-record.js';

/** Normal closure, RFC 6455 §7.4.1. */
const CLOSE_NORMAL = 1000;

/** How each ending closes the remaining party: an error code from errors/gateway-error.ts, or null for a normal close. */
const closeErrorFor: Record<CloseReason, ErrorCode | null> = {
  customer_ended: null,
  technician_ended: null,
  revoked: null,
  idle_timeout: 'E_IDLE_TIMEOUT',
  expired: 'E_SESSION_EXPIRED',
  gateway_shutdown: 'E_SHUTTING_DOWN',
  protocol_error: 'E_BAD_MESSAGE',
  customer_left: 'E_PEER_GONE',
  technician_left: 'E_PEER_GONE',
  slow_consumer: 'E_PEER_GONE',
  resume_timeout: 'E_PEER_GONE',
  left: null,
  access_revoked: 'E_TOKEN_INVALID',
  time_limit: null,
};

export function closeCodeFor(reason: CloseReason): { code: number; text: string } {
  const error = closeErrorFor[reason];
  return error ? { code: errorCodes[error].close, text: error } : { code: CLOSE_NORMAL, text: reason };
}

export function isCloseReason(text: string): text is CloseReason {
  return Object.hasOwn(closeErrorFor, text);
}

/** Endings that mean "the connection is gone", not "the session is over": the party may resume. */
export function isDisconnect(reason: CloseReason): boolean {
  return reason === 'customer_left' || reason === 'technician_left' || reason === 'gateway_shutdown';
}
