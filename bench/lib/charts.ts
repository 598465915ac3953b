/**
 * Charts as self-contained SVG (no script, no fonts or styles fetched): they open in any browser offline,
 * embed in the HTML report and in docs/img as they are.
 */
export type Chart =
  | { id: string; title: string; kind: 'line'; xLabel: string; yLabel: string; series: { name: string; points: [number, number][] }[] }
  | { id: string; title: string; kind: 'histogram'; xLabel: string; yLabel: string; series: { name: string; bins: { fromMs: number; toMs: number; count: number }[] }[] }
  | { id: string; title: string; kind: 'bars'; yLabel: string; groups: string[]; series: { name: string; values: number[] }[] };

const W = 720;
const H = 360;
const M = { left: 72, right: 20, top: 40, bottom: 56 };
const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bc4c00'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function chartSvg(chart: Chart): string {
  const body = chart.kind === 'line' ? line(chart) : chart.kind === 'histogram' ? histogram(chart) : bars(chart);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12" role="img" aria-label="${esc(chart.title)}">` +
    `<rect width="${W}" height="${H}" fill="#fff"/>` +
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(chart.title)}</text>` +
    body +
    `</svg>`
  );
}

/** Round axis ticks covering [0, max]. */
function ticks(max: number, n = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 0.999; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const fmtTick = (v: number) => (Math.abs(v) >= 10_000 ? `${Number((v / 1000).toPrecision(4))}k` : `${Number(v.toPrecision(4))}`);

function frame(xLabel: string, yLabel: string, yTicks: number[], yMax: number): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  let s = '';
  for (const t of yTicks) {
    const y = M.top + ph - (t / yMax) * ph;
    s += `<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="#ddd"/>`;
    s += `<text x="${M.left - 6}" y="${y + 4}" text-anchor="end">${fmtTick(t)}</text>`;
  }
  s += `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#333"/>`;
  s += `<line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#333"/>`;
  s += `<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`;
  s += `<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`;
  return s;
}

function legend(names: string[]): string {
  return names
    .map((n, i) => `<rect x="${M.left + 10 + i * 150}" y="${M.top - 4}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${M.left + 24 + i * 150}" y="${M.top + 5}">${esc(n)}</text>`)
    .join('');
}

function line(c: Extract<Chart, { kind: 'line' }>): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const all = c.series.flatMap((s) => s.points);
  const xMaxRaw = Math.max(1e-9, ...all.map((p) => p[0]));
  const yT = ticks(Math.max(0, ...all.map((p) => p[1])) * 1.1);
  const yMax = yT[yT.length - 1]!;
  const xT = ticks(xMaxRaw);
  const xMax = xT[xT.length - 1]!;
  let s = frame(c.xLabel, c.yLabel, yT, yMax);
  for (const t of xT) s += `<text x="${M.left + (t / xMax) * pw}" y="${M.top + ph + 16}" text-anchor="middle">${fmtTick(t)}</text>`;
  c.series.forEach((ser, i) => {
    const pts = ser.points.map(([x, y]) => `${(M.left + (x / xMax) * pw).toFixed(1)},${(M.top + ph - (y / yMax) * ph).toFixed(1)}`).join(' ');
    s += `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${pts}"/>`;
  });
  return s + legend(c.series.map((x) => x.name));
}

function histogram(c: Extract<Chart, { kind: 'histogram' }>): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  // Shared log-scaled x axis over every series' range; bars side by side inside each series' own bins.
  const bins = c.series.flatMap((s) => s.bins);
  if (bins.length === 0) return `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text>`;
  const lo = Math.max(1e-3, Math.min(...bins.map((b) => b.fromMs), Infinity));
  const hi = Math.max(lo * 1.01, ...bins.map((b) => b.toMs));
  const x = (ms: number) => M.left + (Math.log(ms / lo) / Math.log(hi / lo)) * pw;
  const totals = c.series.map((s) => s.bins.reduce((a, b) => a + b.count, 0) || 1);
  const share = c.series.flatMap((s, i) => s.bins.map((b) => (100 * b.count) / totals[i]!));
  const yT = ticks(Math.max(0, ...share) * 1.1);
  const yMax = yT[yT.length - 1]!;
  let s = frame(c.xLabel, c.yLabel, yT, yMax);
  for (let k = Math.floor(Math.log10(lo)); k <= Math.floor(Math.log10(hi)); k++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** k;
      if (v < lo || v > hi) continue;
      s += `<line x1="${x(v)}" x2="${x(v)}" y1="${M.top + ph}" y2="${M.top + ph + 4}" stroke="#333"/><text x="${x(v)}" y="${M.top + ph + 16}" text-anchor="middle">${fmtTick(v)}</text>`;
    }
  }
  c.series.forEach((ser, i) => {
    for (const b of ser.bins) {
      if (b.count === 0) continue;
      const x0 = x(b.fromMs);
      const w = Math.max(1, x(b.toMs) - x0);
      const hgt = ((100 * b.count) / totals[i]! / yMax) * ph;
      s += `<rect x="${x0.toFixed(1)}" y="${(M.top + ph - hgt).toFixed(1)}" width="${w.toFixed(1)}" height="${hgt.toFixed(1)}" fill="${COLORS[i % COLORS.length]}" fill-opacity="0.55"/>`;
    }
  });
  return s + legend(c.series.map((x) => x.name));
}

function bars(c: Extract<Chart, { kind: 'bars' }>): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const yT = ticks(Math.max(0, ...c.series.flatMap((s) => s.values)) * 1.1);
  const yMax = yT[yT.length - 1]!;
  let s = frame('', c.yLabel, yT, yMax);
  const gw = pw / Math.max(1, c.groups.length);
  const bw = (gw * 0.7) / Math.max(1, c.series.length);
  c.groups.forEach((g, gi) => {
    s += `<text x="${M.left + gi * gw + gw / 2}" y="${M.top + ph + 18}" text-anchor="middle">${esc(g)}</text>`;
    c.series.forEach((ser, si) => {
      const v = ser.values[gi] ?? 0;
      const hgt = (v / yMax) * ph;
      const x0 = M.left + gi * gw + gw * 0.15 + si * bw;
      s += `<rect x="${x0.toFixed(1)}" y="${(M.top + ph - hgt).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${hgt.toFixed(1)}" fill="${COLORS[si % COLORS.length]}"/>`;
      s += `<text x="${(x0 + bw / 2).toFixed(1)}" y="${(M.top + ph - hgt - 4).toFixed(1)}" text-anchor="middle" font-size="10">${fmtTick(Number(v.toPrecision(3)))}</text>`;
    });
  });
  return s + legend(c.series.map((x) => x.name));
}
