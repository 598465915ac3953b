import { formatReport, writeOutputs, type BenchReport } from './report.js';
import type { OptionDef, OptionValues } from './options.js';

/** Options every scenario takes: where to point, how to trust it, where to write results. */
export const commonOptions = {
  target: { kind: 'list', default: [], help: 'gateway(s) to drive, https://host:port (repeat for a cluster); none = start one on loopback' },
  ca: { kind: 'string', help: 'PEM file of the CA to pin for --target' },
  login: { kind: 'list', default: [], help: 'technician user:password on --target (repeat for several)' },
  'source-addresses': { kind: 'int', default: 64, min: 0, help: 'spread client connections over this many 127.x.y.z source addresses (loopback targets)' },
  json: { kind: 'string', help: 'write every figure to this JSON file' },
  report: { kind: 'string', help: 'write an HTML report with charts (works offline)' },
  'svg-dir': { kind: 'string', help: 'write each chart as an SVG file into this folder' },
  quiet: { kind: 'flag', help: 'no progress line' },
} satisfies Record<string, OptionDef>;

export interface CommonValues {
  target: string[];
  ca?: string;
  login: string[];
  sourceAddresses: number;
  json?: string;
  report?: string;
  svgDir?: string;
  quiet?: boolean;
}

export const common = (o: OptionValues) => o as unknown as CommonValues;

/** Prints the tables to stdout and writes the files asked for. */
export function finish(r: BenchReport, o: CommonValues): void {
  writeOutputs(r, { json: o.json, report: o.report, svgDir: o.svgDir });
  process.stdout.write('\n' + formatReport(r));
  for (const [what, file] of [['json', o.json], ['report', o.report], ['charts', o.svgDir]] as const) if (file) process.stdout.write(`${what}: ${file}\n`);
}

/** Counts failures by message and keeps a few samples, so a run with errors says what they were. */
export class ErrorTally {
  readonly byKind = new Map<string, number>();
  total = 0;

  add(err: unknown): void {
    this.total++;
    const e = err as { code?: string; message?: string };
    const key = `${e?.code ?? 'Error'}: ${String(e?.message ?? err).slice(0, 120)}`;
    if (this.byKind.size < 20 || this.byKind.has(key)) this.byKind.set(key, (this.byKind.get(key) ?? 0) + 1);
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.byKind);
  }
}
