import { parseArgs } from 'node:util';

/**
 * Command-line options of a scenario: one spec table drives parsing (node:util parseArgs), validation and
 * `--help`. Values are `--name value` (or `--name=value`); flags are `--name`. Repeatable options collect a list.
 */
export type OptionKind = 'int' | 'number' | 'string' | 'flag' | 'list';

export interface OptionDef {
  kind: OptionKind;
  default?: string | number | boolean | string[];
  help: string;
  /** For int/number: inclusive lower bound. */
  min?: number;
}

export type OptionValues = Record<string, string | number | boolean | string[] | undefined>;

export class UsageError extends Error {}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Parses argv against `defs` (keys in kebab-case) with node:util parseArgs; throws UsageError with the
 * usage text on bad input. `--help` / `-h` returns `{ help: true }` (the caller prints usage, exit 0).
 */
export function parseOptions(scenario: string, defs: Record<string, OptionDef>, argv: string[]): OptionValues & { help?: boolean } {
  const config: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, def] of Object.entries(defs)) config[name] = def.kind === 'flag' ? { type: 'boolean' } : { type: 'string', multiple: def.kind === 'list' };
  // `--flag=true|false` is accepted as before (it turns off a flag whose default is on); parseArgs itself
  // refuses a value on a boolean option, so those are taken out first.
  const explicit = new Map<string, boolean>();
  const args = argv.filter((a) => {
    const m = /^--([a-z0-9-]+)=(true|false)$/.exec(a);
    if (!m || defs[m[1]!]?.kind !== 'flag') return true;
    explicit.set(m[1]!, m[2] === 'true');
    return false;
  });
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args, options: config, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]}\n${usage(scenario, defs)}`);
  }
  const out: OptionValues = {};
  for (const [name, def] of Object.entries(defs)) {
    const key = camel(name);
    const given = values[name];
    if (explicit.has(name)) out[key] = explicit.get(name);
    else if (given === undefined) out[key] = Array.isArray(def.default) ? [...def.default] : def.default;
    else if (def.kind === 'flag') out[key] = given === true;
    else if (def.kind === 'list') out[key] = (given as string[]).flatMap((v) => v.split(',')).filter(Boolean); // repeated and comma-separated both add; the default is replaced
    else if (def.kind === 'string') out[key] = given as string;
    else out[key] = toNumber(name, def, given as string);
  }
  return values.help ? { ...out, help: true } : out;
}

function toNumber(name: string, def: OptionDef, raw: string): number {
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n) || (def.kind === 'int' && !Number.isInteger(n))) throw new UsageError(`--${name} must be ${def.kind === 'int' ? 'a whole number' : 'a number'} (got "${raw}")`);
  if (def.min !== undefined && n < def.min) throw new UsageError(`--${name} must be at least ${def.min} (got ${n})`);
  return n;
}

export function usage(scenario: string, defs: Record<string, OptionDef>): string {
  const lines = Object.entries(defs).map(([name, def]) => {
    const left = `  --${name}${def.kind === 'flag' ? '' : ` <${def.kind === 'list' ? 'a,b' : def.kind}>`}`;
    const dflt = def.default === undefined || (Array.isArray(def.default) && def.default.length === 0) ? '' : ` (default: ${Array.isArray(def.default) ? def.default.join(',') : def.default})`;
    return `${left.padEnd(30)} ${def.help}${dflt}`;
  });
  return `usage: npm run bench -- ${scenario} [options]\n${lines.join('\n')}\n  --help, -h                     this text`;
}
