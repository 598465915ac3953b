/**
 * How an Error appears in a log line: its class, message, stack, a few harmless diagnostic fields, and its
 * cause chain. Only these named fields, never all of its properties: errors carry what they were working
 * on (ioredis puts the failed command's arguments, such as `pin:<pin>` keys, on `err.command`; valibot puts
 * the rejected input on `issues`), and that must not reach the log.
 */
const diagnosticFields = ['code', 'errno', 'syscall', 'address', 'port', 'url'] as const;
/** Deeper causes are cut: a cause chain is a few errors long, and this bounds a cycle. */
const MAX_CAUSE_DEPTH = 4;

export function serializeError(err: Error, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: typeof err.constructor === 'function' && err.constructor.name ? err.constructor.name : err.name,
    message: err.message,
  };
  for (const field of diagnosticFields) {
    const value = (err as unknown as Record<string, unknown>)[field];
    if (typeof value === 'string' || typeof value === 'number') out[field] = value;
  }
  out.stack = err.stack;
  if (err.cause !== undefined && depth < MAX_CAUSE_DEPTH) out.cause = serializeThrown(err.cause, depth + 1);
  return out;
}

/** What was thrown, when it need not be an Error: a string or number as it is, any other object by its kind. */
export function serializeThrown(thrown: unknown, depth = 0): unknown {
  if (thrown instanceof Error) return serializeError(thrown, depth);
  if (typeof thrown === 'string' || typeof thrown === 'number' || typeof thrown === 'boolean') return thrown;
  return `a thrown ${thrown === null ? 'null' : typeof thrown} (not an Error)`;
}
