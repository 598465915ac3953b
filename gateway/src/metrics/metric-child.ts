/**
 * The child of a labelled prom-client metric for these label values, made once and kept. `inc({ label })` and
 * `labels(…)` hash the labels (and the default `gateway` label) on every call, ~1–2 µs each, which a pairing
 * paid about ten times on its way (connections by role, transitions, HTTP requests; docs/benchmarks.md).
 * Label values are bounded unions (STYLE.md), so the cache is small.
 */
const children = new WeakMap<object, Map<string, unknown>>();

export function metricChild<C>(metric: { labels(...values: string[]): C }, ...values: string[]): C {
  let byValues = children.get(metric) as Map<string, C> | undefined;
  if (!byValues) children.set(metric, (byValues = new Map()));
  const key = values.join('\u0000');
  let child = byValues.get(key);
  if (child === undefined) byValues.set(key, (child = metric.labels(...values)));
  return child;
}
