import pino from 'pino';
import { secretFieldPaths } from './secret-fields.js';
import { serializeError } from './serialize-error.js';

/**
 * Structured logger: one JSON object per line (`level`, `time`, the bindings of `child()`, the fields, then
 * `event`), written by pino. Secrets never reach the output: the fields named in secret-fields.ts are
 * replaced by "[redacted]" wherever they appear (up to two levels deep), so a careless call site cannot
 * leak one. Errors in fields are written with their class, message, stack, code and cause.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** Whether lines of `level` are written: a caller that builds its fields for a line first asks (hot paths). */
  enabled(level: LogLevel): boolean;
  /** Resolves once every line written so far is out (before a planned exit: see main.ts). */
  flush(): Promise<void>;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Receives each line (without its newline) synchronously; for tests. Default: stdout, asynchronously. */
  write?: (line: string) => void;
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write;
  // stdout is written asynchronously (sonic-boom), so a slow log reader never stalls the event loop. pino
  // registers a process 'exit' hook for such a destination that flushes it synchronously, so the lines of
  // a process.exit() after SIGTERM still reach stdout (gateway/test/e2e/process.test.ts checks it).
  const destination = write ? { write: (chunk: string) => write(chunk.slice(0, -1)) } : pino.destination({ dest: 1, sync: false });
  const root = pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? null,
      messageKey: 'event',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: errorsAsObjects },
      // Replaces pino's own `err` serializer, which would serialize errorsAsObjects' result a second time.
      serializers: { err: (value: unknown) => (value instanceof Error ? serializeError(value) : value) },
      redact: { paths: secretFieldPaths, censor: '[redacted]' },
    },
    destination,
  );
  const written = write ? () => Promise.resolve() : () => writesDone(destination as ReturnType<typeof pino.destination>);
  return wrap(root, written);
}

/**
 * Resolves once sonic-boom has no write under way (bounded by 1 s). Its flush() does nothing without a
 * `minLength`; its 'drain' event is what marks the end of the writes in flight. The process must not exit
 * before: pino's exit hook writes what is buffered synchronously, past an asynchronous write still under way,
 * and the last lines came out in the wrong order (gateway/test/e2e/process.test.ts). `_writing` is sonic-boom's
 * own state; there is no public accessor for it.
 */
function writesDone(stream: ReturnType<typeof pino.destination>): Promise<void> {
  if (!(stream as unknown as { _writing?: boolean })._writing) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const bound = setTimeout(resolve, 1000);
    stream.once('drain', () => {
      clearTimeout(bound);
      resolve();
    });
  });
}

function wrap(p: pino.Logger, written: () => Promise<void>): Logger {
  return {
    debug: (event, fields) => (fields ? p.debug(fields, event) : p.debug(event)),
    info: (event, fields) => (fields ? p.info(fields, event) : p.info(event)),
    warn: (event, fields) => (fields ? p.warn(fields, event) : p.warn(event)),
    error: (event, fields) => (fields ? p.error(fields, event) : p.error(event)),
    child: (fields) => wrap(p.child(fields), written),
    enabled: (level) => p.isLevelEnabled(level),
    flush: written,
  };
}

/** Any field holding an Error (not only `err`) is written as an object: JSON.stringify would give `{}`. */
function errorsAsObjects(fields: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value instanceof Error) (out ??= { ...fields })[key] = serializeError(value);
  }
  return out ?? fields;
}

/** A logger that drops everything; for tests and tools that print their own output. */
export const silentLogger: Logger = wrap(pino({ level: 'silent' }, { write: () => {} }), () => Promise.resolve());
