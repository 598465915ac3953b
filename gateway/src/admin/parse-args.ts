import { parseArgs as parseNodeArgs } from 'node:util';

/** Parsed command line: positional words and `--flag value` / `--flag=value` options. */
export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Splits argv into positional words and flags (node:util parseArgs). Every flag takes a value; only
 * `allowed` flags are accepted, so a typo (--orgg) is an error rather than silently ignored. `--` ends the flags.
 */
export function parseArgs(argv: readonly string[], allowed: readonly string[]): ParsedArgs {
  const options = Object.fromEntries(allowed.map((name) => [name, { type: 'string' as const, multiple: true }]));
  // Only `--name` is an option here: a word like "-alice" is a (bad) username, not short flags. parseArgs
  // would read it as flags, so such words go in as placeholders and come back as positionals.
  const dashed: string[] = [];
  const args = argv.map((a) => (/^-[^-]/.test(a) ? `\u0000${dashed.push(a) - 1}` : a));
  let parsed;
  try {
    parsed = parseNodeArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const name = /'--?([^' ]+)/.exec(e.message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option --${name}`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`--${name} needs a value`);
    throw new UsageError(e.message.split('\n')[0]!);
  }
  const flags = new Map<string, string>();
  for (const [name, values] of Object.entries(parsed.values) as [string, string[]][]) {
    if (values.length > 1) throw new UsageError(`--${name} given twice`);
    flags.set(name, values[0]!);
  }
  const restore = (v: string) => (v.startsWith('\u0000') ? dashed[Number(v.slice(1))]! : v);
  for (const [name, value] of flags) flags.set(name, restore(value));
  return { positional: parsed.positionals.map(restore), flags };
}
