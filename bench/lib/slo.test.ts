import { describe, expect, it } from 'vitest';
import { UsageError } from './options.js';
import { judgeSlos, parseSlos } from './slo.js';

describe('--slo thresholds', () => {
  it('parses latencies in any time unit and errors in percent', () => {
    expect(parseSlos('pairing.p99<250ms, frame.p50<=0.1s,errors<0.1%,chat.max<900us', ['pairing', 'frame', 'chat'])).toEqual([
      { text: 'pairing.p99<250ms', metric: 'pairing', stat: 'p99', op: '<', limit: 250 },
      { text: 'frame.p50<=0.1s', metric: 'frame', stat: 'p50', op: '<=', limit: 100 },
      { text: 'errors<0.1%', metric: 'errors', op: '<', limit: 0.1 },
      { text: 'chat.max<900us', metric: 'chat', stat: 'max', op: '<', limit: 0.9 },
    ]);
  });

  it.each([
    ['pairing<250ms', /give a statistic/],
    ['pairing.p99<250', /time unit/],
    ['latency.p99<1ms', /unknown metric "latency"/],
    ['errors.p99<1%', /percentage/],
    ['pairing.p99>1ms', /expected metric.stat<limit/],
  ])('refuses %s with a clear message', (text, message) => {
    expect(() => parseSlos(text, ['pairing'])).toThrow(UsageError);
    expect(() => parseSlos(text, ['pairing'])).toThrow(message);
  });

  it('misses a threshold that is exceeded or that nothing measured', () => {
    const slos = parseSlos('pairing.p99<250ms,frame.p99<100ms,errors<=0%', ['pairing', 'frame']);
    const r = judgeSlos(slos, (s) => (s.metric === 'pairing' ? 249 : s.metric === 'frame' ? null : 0));
    expect(r.map((x) => [x.text, x.met])).toEqual([['pairing.p99<250ms', true], ['frame.p99<100ms', false], ['errors<=0%', true]]);
    expect(judgeSlos(slos.slice(0, 1), () => 250)[0]!.met).toBe(false);
  });
});
