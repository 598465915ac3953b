import * as v from 'valibot';
import { GatewayError } from './gateway-error.js';

/**
 * Parses admin input with a valibot schema; the first problem becomes E_BAD_REQUEST naming the field
 * (`policy: fileTransfer.maxBytes: Invalid value…`), so every admin setting fails the same clear way.
 */
export function checkedInput<S extends v.GenericSchema>(schema: S, input: unknown, what: string): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0]!;
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? '(body)';
  throw new GatewayError('E_BAD_REQUEST', `${what}: ${path}: ${issue.message}`);
}
