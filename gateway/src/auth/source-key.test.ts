import { describe, expect, it } from 'vitest';
import { sourceAndPrefix, sourceKey } from './source-key.js';

describe('sourceKey', () => {
  it('keeps IPv4 addresses as they are', () => {
    expect(sourceKey('192.0.2.7')).toBe('192.0.2.7');
  });

  it('folds IPv4-mapped IPv6 onto the IPv4 address, so dual-stack sockets share one budget', () => {
    expect(sourceKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(sourceKey('::ffff:c000:207')).toBe('192.0.2.7');
  });

  it('counts a whole IPv6 /64 as one source', () => {
    expect(sourceKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('[2001:db8:1:3::1]')).toBe('2001:db8:1:3::/64');
    expect(sourceKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('bounds anything else instead of trusting it', () => {
    expect(sourceKey('x'.repeat(500))).toHaveLength('other:'.length + 64);
  });

  it('names the /24 or /48 around a source, for budgets per network', () => {
    expect(sourceAndPrefix('192.0.2.7')).toEqual({ source: '192.0.2.7', prefix: '192.0.2.0/24' });
    expect(sourceAndPrefix('::ffff:198.51.100.9')).toEqual({ source: '198.51.100.9', prefix: '198.51.100.0/24' });
    expect(sourceAndPrefix('2001:db8:7:2::1')).toEqual({ source: '2001:db8:7:2::/64', prefix: '2001:db8:7::/48' });
  });
});
