import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { chartSvg, type Chart } from './charts.js';

export type Cell = string | number;

/** A titled table: what the scenario prints, and what the report shows. */
export interface Table {
  title: string;
  columns: string[];
  rows: Cell[][];
}

/** Everything one run measured. `figures` holds every number (the JSON's point); tables and charts present them. */
export interface BenchReport {
  scenario: string;
  command: string;
  startedAt: string;
  finishedAt: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; kernel: string; loadAverageAtStart: number[]; loadAverageAtEnd?: number[] };
  options: Record<string, unknown>;
  figures: Record<string, unknown>;
  /** Goals from the issue, evaluated on this run's figures. */
  goals: { goal: string; measured: string; met: boolean | null }[];
  tables: Table[];
  charts: Chart[];
  notes: string[];
}

export function machineInfo(): BenchReport['machine'] {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    // Other work on the machine skews every figure; the load average says how busy it was.
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function newReport(scenario: string, argv: string[], options: Record<string, unknown>): BenchReport {
  return {
    scenario,
    command: ['npm', 'run', 'bench', '--', scenario, ...argv].join(' '),
    startedAt: new Date().toISOString(),
    finishedAt: '',
    machine: machineInfo(),
    options,
    figures: {},
    goals: [],
    tables: [],
    charts: [],
    notes: [],
  };
}

const fmtCell = (c: Cell) => (typeof c === 'number' ? (Number.isInteger(c) ? c.toLocaleString('en-US') : c.toLocaleString('en-US', { maximumFractionDigits: 2 })) : c);

/** Plain-text table, columns aligned, numbers right-aligned. */
export function formatTable(t: Table): string {
  const cells = [t.columns, ...t.rows.map((r) => r.map(fmtCell))];
  const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: Cell[], raw?: Cell[]) => r.map((c, i) => (typeof (raw ?? [])[i] === 'number' ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join('  ').trimEnd();
  return [t.title, line(t.columns), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map((r) => line(r.map(fmtCell), r))].join('\n');
}

export function formatReport(r: BenchReport): string {
  const parts = r.tables.map(formatTable);
  if (r.goals.length) {
    parts.push(formatTable({ title: 'Goals', columns: ['goal', 'measured', 'met'], rows: r.goals.map((g) => [g.goal, g.measured, g.met === null ? 'n/a' : g.met ? 'yes' : 'NO']) }));
  }
  parts.push(`machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, Linux ${r.machine.kernel}; load average ${r.machine.loadAverageAtStart.join(' ')} at start, ${r.machine.loadAverageAtEnd?.join(' ') ?? '?'} at end`);
  for (const n of r.notes) parts.push(`note: ${n}`);
  return parts.join('\n\n') + '\n';
}

/** Writes what `--json`, `--report` and `--svg-dir` asked for. */
export function writeOutputs(r: BenchReport, out: { json?: string; report?: string; svgDir?: string }): void {
  r.finishedAt = new Date().toISOString();
  r.machine.loadAverageAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  if (out.json) {
    mkdirSync(dirname(out.json), { recursive: true });
    writeFileSync(out.json, JSON.stringify(r, null, 2) + '\n');
  }
  if (out.report) {
    mkdirSync(dirname(out.report), { recursive: true });
    writeFileSync(out.report, html(r));
  }
  if (out.svgDir) {
    mkdirSync(out.svgDir, { recursive: true });
    for (const c of r.charts) writeFileSync(join(out.svgDir, `${r.scenario}-${c.id}.svg`), chartSvg(c) + '\n');
  }
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One HTML file, charts inline as SVG: opens in a browser with no network. */
export function html(r: BenchReport): string {
  const table = (t: Table) =>
    `<h2>${esc(t.title)}</h2><table><tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>` +
    t.rows.map((row) => `<tr>${row.map((c) => `<td class="${typeof c === 'number' ? 'n' : ''}">${esc(String(fmtCell(c)))}</td>`).join('')}</tr>`).join('') +
    `</table>`;
  const goals = r.goals.length
    ? table({ title: 'Goals', columns: ['goal', 'measured', 'met'], rows: r.goals.map((g) => [g.goal, g.measured, g.met === null ? 'n/a' : g.met ? 'yes' : 'no']) })
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>relaydesk bench: ${esc(r.scenario)}</title>
<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 8px}td.n{text-align:right;font-variant-numeric:tabular-nums}code{background:#f4f4f4;padding:2px 4px}figure{margin:1em 0}</style>
</head><body>
<h1>relaydesk bench: ${esc(r.scenario)}</h1>
<p><code>${esc(r.command)}</code><br>${esc(r.startedAt)} – ${esc(r.finishedAt)}<br>
${esc(`${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, Linux ${r.machine.kernel}; load average ${r.machine.loadAverageAtStart.join(' ')} at start, ${r.machine.loadAverageAtEnd?.join(' ') ?? '?'} at end`)}</p>
${r.tables.map(table).join('\n')}
${goals}
${r.charts.map((c) => `<figure id="chart-${esc(c.id)}">${chartSvg(c)}</figure>`).join('\n')}
${r.notes.map((n) => `<p>${esc(n)}</p>`).join('\n')}
<details><summary>All figures (JSON)</summary><pre>${esc(JSON.stringify(r.figures, null, 2))}</pre></details>
</body></html>
`;
}
