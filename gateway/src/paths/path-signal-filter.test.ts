import { describe, expect, it } from 'vitest';
import { createGatewayMetrics } from '../metrics/gateway-metrics.js';
import { PathSignalFilter, countSessionsByPath } from './path-signal-filter.js';

const session = { guid: 'g1', orgId: 'acme' };
const value = async (m: ReturnType<typeof createGatewayMetrics>, name: string) => (await m.registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#'));

describe('path signals at the gateway', () => {
  it('relayOnly refusals (made by the policy check before it) are counted; other topics pass untouched', async () => {
    const metrics = createGatewayMetrics('t');
    const filter = new PathSignalFilter(metrics);
    filter.refusedByPolicy();
    expect(filter.inspect(session, 'technician', { topic: 'annotation', x: 1 })).toEqual({ verdict: 'forward' });
    expect(await value(metrics, 'relaydesk_path_signals_dropped_total')).toEqual(['relaydesk_path_signals_dropped_total{reason="relay_only",gateway="t"} 1']);
  });

  it('a malformed path signal is dropped and counted, never relayed', async () => {
    const metrics = createGatewayMetrics('t');
    const filter = new PathSignalFilter(metrics);
    expect(filter.inspect(session, 'customer', { topic: 'path', step: 'hello', fingerprint: 'x', tcp: 'no', udp: 1 })).toEqual({ verdict: 'drop' });
    expect(await value(metrics, 'relaydesk_path_signals_dropped_total')).toEqual(['relaydesk_path_signals_dropped_total{reason="bad_signal",gateway="t"} 1']);
  });

  it("the technician's announcements give time to direct, moves and fallbacks with the reason; the sender's path is returned", async () => {
    const metrics = createGatewayMetrics('t');
    const filter = new PathSignalFilter(metrics);
    expect(filter.inspect(session, 'customer', { topic: 'path', step: 'using', path: 'tcp', ms: 300, reason: 'found' })).toEqual({ verdict: 'forward', using: 'tcp' });
    filter.inspect(session, 'technician', { topic: 'path', step: 'using', path: 'tcp', ms: 300, reason: 'found', method: 'birthday' });
    filter.inspect(session, 'technician', { topic: 'path', step: 'using', path: 'relay', reason: 'keepalive_timeout' });
    expect(await value(metrics, 'relaydesk_direct_paths_found_total')).toEqual(['relaydesk_direct_paths_found_total{method="birthday",gateway="t"} 1']);
    expect(await value(metrics, 'relaydesk_path_fallbacks_total')).toEqual(['relaydesk_path_fallbacks_total{from="tcp",reason="keepalive_timeout",gateway="t"} 1']);
    expect(await value(metrics, 'relaydesk_path_moves_total')).toEqual(['relaydesk_path_moves_total{to="tcp",gateway="t"} 1']);
    expect((await value(metrics, 'relaydesk_time_to_direct_seconds')).find((l) => l.includes('_count'))).toBe('relaydesk_time_to_direct_seconds_count{gateway="t",path="tcp"} 1');
  });

  it("a hello naming a public address other than the sender's is dropped: a peer must not be made to punch at a third machine", async () => {
    const metrics = createGatewayMetrics('t');
    const filter = new PathSignalFilter(metrics);
    const hello = (extra: object) => ({ topic: 'path', step: 'hello', fingerprint: 'a'.repeat(64), tcp: [], udp: true, ...extra });
    expect(filter.inspect(session, 'technician', hello({ symmetric: { address: '192.0.2.77' } }), '::ffff:198.51.100.5')).toEqual({ verdict: 'drop' });
    expect(filter.inspect(session, 'technician', hello({ sim: { address: '192.0.2.77', port: 4000 } }), '198.51.100.5')).toEqual({ verdict: 'drop' });
    expect(filter.inspect(session, 'technician', hello({ symmetric: { address: '198.51.100.5' } }), '::ffff:198.51.100.5')).toEqual({ verdict: 'forward' });
    expect(filter.inspect(session, 'technician', hello({ symmetric: { address: '192.0.2.77' } }), 'gateway-link')).toEqual({ verdict: 'forward' });
    expect(await value(metrics, 'relaydesk_path_signals_dropped_total')).toEqual(['relaydesk_path_signals_dropped_total{reason="foreign_address",gateway="t"} 2']);
  });

  it("the relay's ping and pong pass (a malformed one is dropped); a judged fallback is counted with its reason", async () => {
    const metrics = createGatewayMetrics('t');
    const filter = new PathSignalFilter(metrics);
    expect(filter.inspect(session, 'technician', { topic: 'path', step: 'ping', t: 1234.5 })).toEqual({ verdict: 'forward' });
    expect(filter.inspect(session, 'customer', { topic: 'path', step: 'pong', t: 1234.5 })).toEqual({ verdict: 'forward' });
    expect(filter.inspect(session, 'customer', { topic: 'path', step: 'pong', t: 'soon' })).toEqual({ verdict: 'drop' });
    expect(filter.inspect(session, 'customer', { topic: 'path', step: 'ping', t: -1 })).toEqual({ verdict: 'drop' });
    filter.inspect(session, 'technician', { topic: 'path', step: 'using', path: 'udp', reason: 'found' });
    filter.inspect(session, 'technician', { topic: 'path', step: 'using', path: 'relay', reason: 'worse_than_relay' });
    filter.inspect(session, 'technician', { topic: 'path', step: 'using', path: 'tcp', reason: 'found' });
    filter.inspect(session, 'technician', { topic: 'path', step: 'using', path: 'relay', reason: 'loss' });
    expect(await value(metrics, 'relaydesk_path_fallbacks_total')).toEqual([
      'relaydesk_path_fallbacks_total{from="udp",reason="worse_than_relay",gateway="t"} 1',
      'relaydesk_path_fallbacks_total{from="tcp",reason="loss",gateway="t"} 1',
    ]);
  });

  it('sessions by path: direct once any participant is', async () => {
    const metrics = createGatewayMetrics('t');
    const s = (...paths: ('relay' | 'tcp' | 'udp')[]) => ({ participants: new Map(paths.map((path, i) => [String(i), { path }])) });
    countSessionsByPath([s('relay', 'relay'), s('relay', 'tcp'), s('udp', 'udp')], metrics.pathSessions);
    expect(await value(metrics, 'relaydesk_path_sessions')).toEqual(['relaydesk_path_sessions{path="relay",gateway="t"} 1', 'relaydesk_path_sessions{path="tcp",gateway="t"} 1', 'relaydesk_path_sessions{path="udp",gateway="t"} 1']);
  });
});
