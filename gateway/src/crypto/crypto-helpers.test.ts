import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { randomHex } from './random-hex.js';
import { sha256Hex } from './sha256.js';

describe('randomHex', () => {
  it('hands out fresh random bytes as hex, across pool refills, never the same twice', () => {
    const seen = new Set<string>();
    // 600 × 16 bytes crosses the 4 KiB pool twice.
    for (let i = 0; i < 600; i++) {
      const hex = randomHex(16);
      expect(hex).toMatch(/^[0-9a-f]{32}$/);
      seen.add(hex);
    }
    expect(seen.size).toBe(600);
  });

  it('refuses sizes it cannot serve from the pool', () => {
    expect(() => randomHex(0)).toThrow(RangeError);
    expect(() => randomHex(4097)).toThrow(RangeError);
  });
});

describe('sha256Hex', () => {
  it('equals createHash for ASCII and non-ASCII text', () => {
    for (const text of ['', 'abc', 'Grüße, 世界']) expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
  });
});
