/**
 * Command-line options of a scenario: one spec table drives parsing, validation and `--help`.
 * Values are `--name value` (or `--name=value`); flags are `--name`. Repeatable options collect a list.
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

/** Parses argv against `defs` (keys in kebab-case); throws UsageError with the usage text on bad input. */
export function parseOptions(scenario: string, defs: Record<string, OptionDef>, argv: string[]): OptionValues & { help?: boolean } {
  const out: OptionValues = {};
  for (const [name, def] of Object.entries(defs)) {
    out[camel(name)] = Array.isArray(def.default) ? [...def.default] : def.default;
  }
  const seenList = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return { ...out, help: true };
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"\n${usage(scenario, defs)}`);
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const def = defs[name];
    if (!def) throw new UsageError(`unknown option --${name}\n${usage(scenario, defs)}`);
    const key = camel(name);
    if (def.kind === 'flag') {
      out[key] = eq > 0 ? arg.slice(eq + 1) !== 'false' : true;
      continue;
    }
    const raw = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (raw === undefined) throw new UsageError(`--${name} needs a value`);
    if (def.kind === 'list') {
      // Repeated options and comma-separated values both add to the list; the default is replaced.
      if (!seenList.has(key)) out[key] = [];
      seenList.add(key);
      (out[key] as string[]).push(...raw.split(',').filter(Boolean));
    } else if (def.kind === 'string') out[key] = raw;
    else {
      const n = Number(raw);
      if (!Number.isFinite(n) || (def.kind === 'int' && !Number.isInteger(n))) throw new UsageError(`--${name} must be ${def.kind === 'int' ? 'a whole number' : 'a number'} (got "${raw}")`);
      if (def.min !== undefined && n < def.min) throw new UsageError(`--${name} must be at least ${def.min} (got ${n})`);
      out[key] = n;
    }
  }
  return out;
}

export function usage(scenario: string, defs: Record<string, OptionDef>): string {
  const lines = Object.entries(defs).map(([name, def]) => {
    const left = `  --${name}${def.kind === 'flag' ? '' : ` <${def.kind === 'list' ? 'a,b' : def.kind}>`}`;
    const dflt = def.default === undefined || (Array.isArray(def.default) && def.default.length === 0) ? '' : ` (default: ${Array.isArray(def.default) ? def.default.join(',') : def.default})`;
    return `${left.padEnd(30)} ${def.help}${dflt}`;
  });
  return `usage: npm run bench -- ${scenario} [options]\n${lines.join('\n')}`;
}
