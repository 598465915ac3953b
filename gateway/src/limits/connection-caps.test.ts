import { describe, expect, it } from 'vitest';
import { ConnectionCaps, connectionCapLimits } from './connection-caps.js';

const limits = { perAddress: 3, perPrefix: 5, unauthenticatedPerAddress: 2, unauthenticatedPerPrefix: 4, capLoopback: false };

/** Admits and opens a connection; returns its socket, or the refusal. */
function connect(caps: ConnectionCaps, ip: string) {
  const refusal = caps.admit(ip);
  if (refusal) return { refusal };
  const socket = {};
  caps.opened(socket);
  return { socket };
}

describe('ConnectionCaps', () => {
  it('counts an IPv6 /64 as one address and its /48 as one network; IPv4-mapped as IPv4', () => {
    const caps = new ConnectionCaps(limits);
    expect(connect(caps, '2001:db8:1:1::a').socket).toBeDefined();
    expect(connect(caps, '2001:db8:1:1::b').socket).toBeDefined();
    expect(connect(caps, '2001:db8:1:1::c').refusal).toEqual({ limit: 'unauthenticated_connections', scope: 'address', source: '2001:db8:1:1::/64' });
    expect(connect(caps, '2001:db8:1:2::a').socket).toBeDefined();
    expect(connect(caps, '2001:db8:1:3::a').socket).toBeDefined();
    expect(connect(caps, '2001:db8:1:4::a').refusal).toEqual({ limit: 'unauthenticated_connections', scope: 'prefix', source: '2001:db8:1::/48' });
    expect(connect(caps, '0000:0000:0000:0000:0000:ffff:c000:0201').socket).toBeDefined();
    expect(connect(caps, '192.0.2.1').socket).toBeDefined();
    expect(connect(caps, '192.0.2.1').refusal?.source).toBe('192.0.2.1');
  });

  it('frees places on the first message and on close', () => {
    const caps = new ConnectionCaps(limits);
    const [a, b] = [connect(caps, '198.51.100.1').socket!, connect(caps, '198.51.100.1').socket!];
    caps.greeted(a);
    caps.greeted(a); // only the first message counts
    const c = connect(caps, '198.51.100.1').socket!;
    expect(connect(caps, '198.51.100.1').refusal?.limit).toBe('connections');
    caps.closed(b);
    caps.closed(b); // closing twice frees once
    expect(connect(caps, '198.51.100.1').socket).toBeDefined();
    expect(connect(caps, '198.51.100.1').refusal).not.toBeNull();
    caps.closed(c);
  });

  it('leaves loopback alone unless asked, and defaults to shares of maxConnections', () => {
    const caps = new ConnectionCaps(limits);
    for (let i = 0; i < 10; i++) expect(connect(caps, '127.0.0.1').socket).toBeDefined();
    expect(connect(caps, '::1').socket).toBeDefined();
    const strict = new ConnectionCaps({ ...limits, capLoopback: true });
    for (let i = 0; i < 2; i++) connect(strict, '127.0.0.1');
    expect(connect(strict, '127.0.0.1').refusal).not.toBeNull();
    const auto = connectionCapLimits({ connectionsPerAddress: 0, connectionsPerPrefix: 0, unauthenticatedPerAddress: 16, unauthenticatedPerPrefix: 64, capLoopback: false }, 100_000);
    expect([auto.perAddress, auto.perPrefix]).toEqual([2000, 10_000]);
    expect(connectionCapLimits({ connectionsPerAddress: 0, connectionsPerPrefix: 0, unauthenticatedPerAddress: 16, unauthenticatedPerPrefix: 64, capLoopback: false }, 1000).perAddress).toBe(32);
  });
});
