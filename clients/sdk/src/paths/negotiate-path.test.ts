import { describe, expect, it } from 'vitest';
import { eventually } from '../../../../gateway/test/e2e/events.js';
import type { DirectPath } from './direct-path.js';
import { parsePathSignal } from '../../../../protocol/path-signal.js';
import { negotiatePath, type NegotiateOptions } from './negotiate-path.js';
import { nodeRtc } from './node-rtc.js';
import { pathsTestGateway } from './paired-session.test-helper.js';
import { createPeerIdentity } from './peer-identity.js';
import { sessionSignals } from './signal-channel.js';
import { TcpPathAttempt } from './tcp-path.js';

// Two parties of a real session on a real gateway (loopback); path signals travel over the relay.
const env = pathsTestGateway();
const paired = () => env.paired();

async function negotiateBoth(options: Partial<NegotiateOptions> = {}) {
  const { customer, tech } = await paired();
  const stun = { host: '127.0.0.1', port: env.t.gateway.stunPort };
  const [c, k] = await Promise.all([
    negotiatePath({ role: 'customer', signals: sessionSignals(customer), stun, rtc: nodeRtc(), hostAddresses: ['127.0.0.1'], ...options }),
    negotiatePath({ role: 'technician', signals: sessionSignals(tech), stun, rtc: nodeRtc(), hostAddresses: ['127.0.0.1'], ...options }),
  ]);
  return { customer, tech, c, k };
}

/** Messages both ways over the two ends of a path, in order and complete. */
async function exchange(a: DirectPath, b: DirectPath, count = 50): Promise<void> {
  const atB: string[] = [];
  const atA: string[] = [];
  b.onMessage((ch, p) => atB.push(`${ch}:${new TextDecoder().decode(p)}`));
  a.onMessage((ch, p) => atA.push(`${ch}:${new TextDecoder().decode(p)}`));
  for (let i = 0; i < count; i++) {
    a.send(4, new TextEncoder().encode(`a${i}`));
    b.send(2, new TextEncoder().encode(`b${i}`));
  }
  expect(await eventually(() => atA.length === count && atB.length === count, 5000)).toBe(true);
  expect(atB).toEqual(Array.from({ length: count }, (_, i) => `4:a${i}`));
  expect(atA).toEqual(Array.from({ length: count }, (_, i) => `2:b${i}`));
}

describe('direct paths between the parties of a session (loopback)', () => {
  it('direct TCP first: both ends agree on one TLS connection, messages flow both ways in order; the technician sees the path', async () => {
    const { c, k, customer, tech } = await negotiateBoth();
    expect([c.kind, k.kind]).toEqual(['tcp', 'tcp']);
    // The gateway took each party's "using" announcement as its participant's path, and says so to all.
    expect(await eventually(() => tech.participants.length === 2 && tech.participants.every((p) => p.path === 'tcp'))).toBe(true);
    await exchange(c.path!, k.path!);
    const closed = new Promise<string>((r) => k.path!.onClose(r));
    const at = Date.now();
    c.path!.close('test');
    expect(await closed).toBe('connection closed');
    expect(Date.now() - at).toBeLessThan(2000);
    customer.end();
  });

  it('no TCP candidate: the UDP path (WebRTC, STUN from the gateway) carries the session', async () => {
    const { c, k, customer } = await negotiateBoth({ hostAddresses: [] });
    expect([c.kind, k.kind]).toEqual(['udp', 'udp']);
    expect(c.attempts.map((a) => `${a.kind}:${a.result}`)).toEqual(['tcp:failed', 'udp:connected']);
    await exchange(c.path!, k.path!);
    c.path!.close();
    k.path!.close();
    customer.end();
  });

  it('the gateway tells a party its address as seen from there (GET /v1/address), for a simultaneous open', async () => {
    expect(await env.t.client().call('GET', '/v1/address', undefined, false)).toEqual({ address: '127.0.0.1' });
  });

  it('a peer without direct paths (no hello): the session stays on the relay after the bounded wait', async () => {
    const { customer } = await paired();
    const r = await negotiatePath({ role: 'customer', signals: sessionSignals(customer), hostAddresses: ['127.0.0.1'], helloTimeoutMs: 300 });
    expect(r.kind).toBe('relay');
    expect(r.path).toBeNull();
    customer.end();
  });

  it('bad path signals: the gateway drops and counts them, the SDK would ignore them too', async () => {
    const { customer, tech } = await paired();
    const signals = sessionSignals(tech);
    const bad = [
      { topic: 'path', step: 'hello', fingerprint: 'nope', tcp: [], udp: true },
      { topic: 'path', step: 'hello', fingerprint: 'a'.repeat(64), tcp: [{ address: '999.1.1.1', port: 1 }], udp: true },
      { topic: 'path', step: 'offer', description: { type: 'answer', sdp: 'x' } },
      { topic: 'path', step: 'hello', fingerprint: 'a'.repeat(64), tcp: [], udp: true, symmetric: { address: 'somewhere' } },
    ];
    for (const b of bad) {
      signals.send(b);
      expect(parsePathSignal(b)).toBeNull();
    }
    const r = await negotiatePath({ role: 'customer', signals: sessionSignals(customer), hostAddresses: ['127.0.0.1'], helloTimeoutMs: 500 });
    expect(r).toMatchObject({ kind: 'relay', badSignals: 0 }); // none reached the customer
    const dropped = await env.t.gateway.metrics.registry.getSingleMetricAsString('relaydesk_path_signals_dropped_total');
    expect(dropped).toMatch(/reason="bad_signal"[^\n]* 4/);
    customer.end();
  });

  it('a TLS peer whose certificate is not the one the relay announced is refused (no path)', async () => {
    const [real, impostor] = await Promise.all([createPeerIdentity(), createPeerIdentity()]);
    const listener = await TcpPathAttempt.listen(impostor, false);
    const dialer = await TcpPathAttempt.listen(await createPeerIdentity(), true);
    listener.connect('f'.repeat(64), [], 1000);
    dialer.connect(real.fingerprint, [{ address: '127.0.0.1', port: listener.port }], 1000);
    expect(await dialer.chosen).toBeNull();
    expect(await listener.chosen).toBeNull();
  });

  it('relayOnly (the session policy says so): nothing is tried, not a signal is sent', async () => {
    const { customer, tech } = await paired();
    const seen: unknown[] = [];
    customer.on('signal', (m) => seen.push(m));
    const r = await negotiatePath({ role: 'technician', signals: sessionSignals(tech), relayOnly: true });
    expect(r).toEqual({ path: null, kind: 'relay', ms: 0, attempts: [], badSignals: 0 });
    await new Promise((done) => setTimeout(done, 100));
    expect(seen).toEqual([]);
    customer.end();
  });
});
