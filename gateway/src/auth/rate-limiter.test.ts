import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';
import { MemoryRegistry } from '../registry/memory-registry.js';

function setup(options: Partial<ConstructorParameters<typeof RateLimiter>[0]> = {}) {
  let now = 1_000_000;
  const clock = () => now;
  const registry = new MemoryRegistry({ clock });
  const limiter = new RateLimiter({ registry, name: 'pin', perSource: { limit: 3, windowMs: 60_000 }, ...options });
  return { limiter, advance: (ms: number) => (now += ms) };
}

describe('RateLimiter', () => {
  it('allows the limit, then refuses with E_RATE_LIMITED', async () => {
    const { limiter } = setup();
    for (let i = 0; i < 3; i++) await limiter.check('192.0.2.1');
    await expect(limiter.check('192.0.2.1')).rejects.toMatchObject({ code: 'E_RATE_LIMITED' });
  });

  it('counts each source separately', async () => {
    const { limiter } = setup();
    for (let i = 0; i < 3; i++) await limiter.check('192.0.2.1');
    await expect(limiter.check('192.0.2.2')).resolves.toBeUndefined();
  });

  it('counts an IPv6 /64 as one source', async () => {
    const { limiter } = setup();
    for (let i = 1; i <= 3; i++) await limiter.check(`2001:db8::${i}`);
    await expect(limiter.check('2001:db8::99')).rejects.toMatchObject({ code: 'E_RATE_LIMITED' });
  });

  it('opens again when the window has passed', async () => {
    const { limiter, advance } = setup();
    for (let i = 0; i < 3; i++) await limiter.check('192.0.2.1');
    await expect(limiter.check('192.0.2.1')).rejects.toMatchObject({ code: 'E_RATE_LIMITED' });
    advance(60_000);
    await expect(limiter.check('192.0.2.1')).resolves.toBeUndefined();
  });

  it('enforces a global limit across sources (distributed PIN guessing)', async () => {
    const { limiter } = setup({ perSource: { limit: 100, windowMs: 60_000 }, global: { limit: 5, windowMs: 60_000 } });
    for (let i = 1; i <= 5; i++) await limiter.check(`192.0.2.${i}`);
    await expect(limiter.check('198.51.100.1')).rejects.toMatchObject({ code: 'E_RATE_LIMITED' });
  });

  it('does not let a refused source use up the global budget', async () => {
    const { limiter } = setup({ perSource: { limit: 2, windowMs: 60_000 }, global: { limit: 4, windowMs: 60_000 } });
    for (let i = 0; i < 10; i++) await limiter.check('192.0.2.1').catch(() => {});
    // The abuser got 2 through; 2 global slots remain for others.
    await limiter.check('192.0.2.2');
    await limiter.check('192.0.2.3');
    await expect(limiter.check('192.0.2.4')).rejects.toMatchObject({ code: 'E_RATE_LIMITED' });
  });

  it('rejects bad configuration loudly', () => {
    const registry = new MemoryRegistry({ clock: () => 0 });
    expect(() => new RateLimiter({ registry, name: 'pin' })).toThrow(/perSource, global/);
    expect(() => new RateLimiter({ registry, name: 'pin', perSource: { limit: 0, windowMs: 1000 } })).toThrow(/limit/);
    expect(() => new RateLimiter({ registry, name: 'pin', global: { limit: 5, windowMs: -1 } })).toThrow(/windowMs/);
  });
});
