import { envName, flagName, optionSpecs, type OptionSpec } from './options.js';

/** The README's configuration table, made from the option specs (a test checks the README carries it). */
export function optionsMarkdownTable(): string {
  const rows = (optionSpecs as readonly OptionSpec[]).map((s) => {
    const def = s.default === undefined ? '–' : Array.isArray(s.default) ? (s.default.length ? s.default.join(',') : '–') : String(s.default);
    const allowed = s.type === 'enum' ? s.values!.join(' \\| ') : s.type === 'int' ? `${s.min}–${s.max}` : s.type;
    return `| \`${flagName(s.key)}\` | \`${envName(s.key)}\` | \`${s.key}\` | ${def} | ${allowed} | ${s.description} |`;
  });
  return ['| flag | environment | config file key | default | allowed | what it does |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

// `npx tsx gateway/src/config/options-table.ts` prints it.
if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(optionsMarkdownTable() + '\n');
