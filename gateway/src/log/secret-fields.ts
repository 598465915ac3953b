/**
 * The field names whose values are secrets, wherever the code logs them. Redaction goes by these exact
 * names (not by a pattern: "pin" as a pattern also hid "ping", "typing" and "shipping"), at the top of a
 * log line and up to two objects deep (`msg.token`, `err.cause.password`, `headers.authorization`).
 * A new secret-bearing field must be added here; gateway/src/log/logger.test.ts checks every name.
 */
export const secretFieldNames = [
  // Technician credentials and what is derived from them.
  'password',
  'passwordHash',
  'passphrase',
  'secret',
  'clientSecret',
  // Bearer, resume and OpenID tokens.
  'token',
  'tokens',
  'bearerToken',
  'resumeToken',
  'accessToken',
  'refreshToken',
  'idToken',
  // The session PIN a customer types.
  'pin',
  // HTTP credentials.
  'authorization',
  'cookie',
  // Private keys, and registry keys (a Redis key such as `pin:<pin>` carries the PIN itself).
  'key',
  'keys',
  'privateKey',
  'privateKeyPem',
  'keyPem',
] as const;

/** The paths pino's `redact` takes: every name at the top level, one level deep and two levels deep. */
export const secretFieldPaths: string[] = secretFieldNames.flatMap((name) => [name, `*.${name}`, `*.*.${name}`]);
