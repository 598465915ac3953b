import { describe, expect, it } from 'vitest';
import { chartSvg } from './charts.js';
import { Histogram } from './histogram.js';
import { drive } from './load-profile.js';
import { parseOptions, UsageError, type OptionDef } from './options.js';
import { SourceAddresses } from './source-addresses.js';
import { parseTargets } from './targets.js';

describe('Histogram', () => {
  it('answers percentiles within 1/128 of the exact value, whatever the spread', () => {
    const h = new Histogram();
    const values = Array.from({ length: 10_000 }, (_, i) => 50 + ((i * 7919) % 10_000) * 37); // 50 µs … 370 ms
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
      expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThan(1 / 128);
    }
    expect(h.count).toBe(10_000);
    expect(h.summaryMs().maxMs).toBe(sorted[sorted.length - 1]! / 1000);
    expect(h.bins(20).reduce((a, b) => a + b.count, 0)).toBe(10_000);
  });
});

describe('drive', () => {
  it('stops at the count in closed loop and never exceeds the concurrency', async () => {
    let inFlight = 0;
    let most = 0;
    const r = await drive({ rate: 0, rampUpSeconds: 0, durationSeconds: 10, count: 50, concurrency: 4 }, async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((res) => setTimeout(res, 2));
      inFlight--;
    }, () => {});
    expect(r.completed).toBe(50);
    expect(most).toBe(4);
  });

  it('paces an open loop at the rate and stops at the duration', async () => {
    const r = await drive({ rate: 200, rampUpSeconds: 0, durationSeconds: 0.5, count: 1e6, concurrency: 100 }, async () => {}, () => {});
    expect(r.started).toBeGreaterThan(70);
    expect(r.started).toBeLessThanOrEqual(101);
  });
});

describe('options and targets', () => {
  it('parses lists, numbers and rejects unknown options', () => {
    const defs: Record<string, OptionDef> = { target: { kind: 'list', default: [], help: '' }, rate: { kind: 'number', default: 1, min: 0, help: '' } };
    const o = parseOptions('x', defs, ['--target', 'https://a:1,https://b:2', '--target=https://c:3', '--rate', '2.5']);
    expect(o.target).toEqual(['https://a:1', 'https://b:2', 'https://c:3']);
    expect(o.rate).toBe(2.5);
    expect(() => parseOptions('x', defs, ['--nope'])).toThrow(UsageError);
    expect(() => parseOptions('x', defs, ['--rate=-1'])).toThrow(/at least 0/);
    const flags: Record<string, OptionDef> = { floor: { kind: 'flag', default: true, help: '' }, quiet: { kind: 'flag', help: '' } };
    expect(parseOptions('x', flags, ['--floor=false', '--quiet'])).toEqual({ floor: false, quiet: true });
    expect(parseOptions('x', flags, [])).toEqual({ floor: true, quiet: undefined });
    expect(parseOptions('x', flags, ['--quiet=true', '--help'])).toEqual({ floor: true, quiet: true, help: true });
    expect(() => parseTargets(['http://a:1'])).toThrow(/https/);
    expect(parseTargets(['https://gw.example:8443'])[0]).toMatchObject({ host: 'gw.example', port: 8443 });
  });

  it('spreads loopback connections over distinct 127/8 addresses, none for other hosts', () => {
    const s = new SourceAddresses('127.0.0.1', 300);
    expect(new Set(s.list).size).toBe(300);
    expect(s.list.every((a) => /^127\.1\.\d+\.\d+$/.test(a!))).toBe(true);
    expect(new SourceAddresses('gw.example.com').take()).toBeUndefined();
  });

  it('draws every chart kind as standalone SVG', () => {
    const svg = chartSvg({ id: 'x', title: 'T <1>', kind: 'bars', yLabel: 'MB/s', groups: ['1 KiB'], series: [{ name: 'a', values: [3] }] });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>.*<rect.*<\/svg>$/s);
    expect(svg).toContain('T &lt;1&gt;');
    // A phase with no samples (e.g. every pairing failed) still draws.
    expect(chartSvg({ id: 'h', title: 'empty', kind: 'histogram', xLabel: 'ms', yLabel: '%', series: [{ name: 'a', bins: [] }] })).toContain('no data');
  });
});
