/**
 * Every failure a client can see has one stable code. The code decides the HTTP status and the WebSocket
 * close code in exactly one place (this table), so the two never disagree. Shared by the gateway and the SDK.
 */
export const errorCodes = {
  // Input
  E_BAD_REQUEST: { http: 400, close: 4400, message: 'the request is malformed' },
  E_NOT_FOUND: { http: 404, close: 4404, message: 'no such endpoint' },
  E_BAD_MESSAGE: { http: 400, close: 4400, message: 'the message is malformed' },
  E_UNKNOWN_TYPE: { http: 400, close: 4400, message: 'unknown message type' },
  E_MESSAGE_TOO_LARGE: { http: 413, close: 4413, message: 'the message is too large' },
  E_UNSUPPORTED_VERSION: { http: 400, close: 4426, message: 'unsupported protocol version' },
  E_FORM_INVALID: { http: 400, close: 4400, message: "the answers do not fit the organisation's pre-session form" },
  E_FLOW_CONTROL: { http: 400, close: 4400, message: 'bulk data sent beyond the credit the receivers gave' },
  // Authentication and authorisation
  E_AUTH_FAILED: { http: 401, close: 4401, message: 'wrong username or password' },
  E_ACCOUNT_LOCKED: { http: 423, close: 4401, message: 'too many failed logins; try again later' },
  E_TOKEN_INVALID: { http: 401, close: 4401, message: 'the bearer token is missing, expired or revoked' },
  E_FORBIDDEN: { http: 403, close: 4403, message: 'not allowed' },
  E_NOT_GRANTED: { http: 403, close: 4403, message: 'the customer has not granted this power' },
  E_SECOND_FACTOR_REQUIRED: { http: 401, close: 4401, message: 'this account needs a second factor: log in through POST /v1/auth/login' },
  E_IP_NOT_ALLOWED: { http: 403, close: 4403, message: "your address is not on your organisation's allow-list" },
  E_CONFLICT: { http: 409, close: 4409, message: 'that name is taken' },
  E_NOT_CONTROLLER: { http: 403, close: 4403, message: 'another technician holds control' },
  // Sessions
  E_PIN_INVALID: { http: 404, close: 4404, message: 'this PIN or session id is not valid (wrong, expired or already used)' },
  E_FORM_REQUIRED: { http: 428, close: 4428, message: 'this organisation asks a few questions first: join again with "form"' },
  E_SESSION_NOT_FOUND: { http: 404, close: 4404, message: 'no such session' },
  E_SESSION_EXPIRED: { http: 410, close: 4410, message: 'the session has expired' },
  E_SESSION_TAKEN: { http: 409, close: 4409, message: 'another technician has already picked up this session' },
  E_SESSION_NOT_WAITING: { http: 409, close: 4409, message: 'the session is not waiting for a technician' },
  E_SESSION_NOT_ACTIVE: { http: 409, close: 4409, message: 'the session is not active' },
  E_SESSION_CLOSED: { http: 410, close: 4410, message: 'the session has ended' },
  E_SESSION_FULL: { http: 409, close: 4409, message: 'the session has as many participants as it may' },
  E_NO_SUCH_PARTICIPANT: { http: 404, close: 4404, message: 'no such participant in this session' },
  E_IDLE_TIMEOUT: { http: 408, close: 4408, message: 'the session was idle too long' },
  E_PEER_GONE: { http: 410, close: 4410, message: 'the other party has left' },
  E_SLOW_CONSUMER: { http: 503, close: 4429, message: 'too much reliable data queued for a slow receiver' },
  E_REPLACED: { http: 409, close: 4409, message: 'this connection was replaced by a resume from another connection' },
  // Limits
  E_RATE_LIMITED: { http: 429, close: 4429, message: 'too many attempts; slow down' },
  E_CAPACITY: { http: 503, close: 4503, message: 'the gateway is at capacity' },
  E_SESSION_LIMIT: { http: 429, close: 4429, message: 'too many open sessions for this technician or organisation; end some first' },
  E_TOO_MANY_CONNECTIONS: { http: 429, close: 4429, message: 'too many connections from this address or network' },
  // File transfer (docs/protocol.md "Files")
  E_FILE_TOO_LARGE: { http: 413, close: 4413, message: "the file is larger than the organisation's policy allows" },
  E_FILE_LIMIT: { http: 429, close: 4429, message: 'too many file offers open in this session; finish or cancel one first' },
  E_FILE_UNKNOWN: { http: 404, close: 4404, message: 'no such file offer in this session' },
  E_FILE_NOT_ACCEPTED: { http: 409, close: 4409, message: "file chunks are sent only by the offer's sender, after the receiver accepted it" },
  E_FILE_SIZE_MISMATCH: { http: 400, close: 4400, message: "the file's bytes do not add up to the size its offer declared" },
  // Infrastructure
  E_REGISTRY_UNAVAILABLE: { http: 503, close: 4503, message: 'the session registry is unavailable; try again shortly' },
  E_REDIRECT: { http: 307, close: 4307, message: 'this session runs on another gateway: connect there (see "url")' },
  E_RECONNECT: { http: 503, close: 4503, message: 'the connection to the session was lost; reconnect to resume it' },
  E_SHUTTING_DOWN: { http: 503, close: 4503, message: 'the gateway is shutting down; reconnect' },
  E_DIRECTORY_UNAVAILABLE: { http: 503, close: 4503, message: 'the login directory (LDAP / identity provider) does not answer; try again shortly' },
  E_SCREEN_REPAIR: { http: 500, close: 1011, message: 'the gateway could not rebuild your picture; a keyframe from the agent is on its way' },
  E_INTERNAL: { http: 500, close: 1011, message: 'internal error' },
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** Close codes after which a session may go on (gateway gone or draining, link lost): clients resume. */
export const resumableCloseCodes: readonly number[] = [1001, 1005, 1006, 1011, 1012, 1013, 4503];
