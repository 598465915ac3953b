import { describe, expect, it } from 'vitest';
import { effectiveMaxConnections, openFileLimit } from './open-file-limit.js';

describe('open-file limit', () => {
  it('reads the soft limit from /proc/self/limits text', () => {
    const text = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            20000                20000                files\n';
    expect(openFileLimit(text)).toBe(20000);
    expect(openFileLimit('Max open files            unlimited            unlimited            files')).toBeUndefined();
    expect(openFileLimit('nothing here')).toBeUndefined();
    expect(openFileLimit()).toBeGreaterThan(0); // this machine's own
  });

  it('caps maxConnections below the limit, keeping a reserve, and leaves it alone when it fits', () => {
    expect(effectiveMaxConnections(100_000, 20_000)).toEqual({ max: 19_744, capped: true });
    expect(effectiveMaxConnections(1_000, 20_000)).toEqual({ max: 1_000, capped: false });
    expect(effectiveMaxConnections(1_000, undefined)).toEqual({ max: 1_000, capped: false });
  });
});
