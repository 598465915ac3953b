import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sha256 } from './sha256.js';

describe('Sha256 (incremental, browser-safe)', () => {
  it('matches node:crypto for every length around the block and padding boundaries, fed in uneven pieces', () => {
    const data = randomBytes(300);
    for (let len = 0; len <= 300; len++) {
      const part = data.subarray(0, len);
      const h = new Sha256();
      for (let i = 0; i < len; i += 1 + (i % 7)) h.update(part.subarray(i, Math.min(len, i + 1 + (i % 7))));
      expect(h.hex(), `length ${len}`).toBe(createHash('sha256').update(part).digest('hex'));
    }
  });

  it('matches node:crypto on a larger input in 60 KiB chunks', () => {
    const data = randomBytes(1_000_003);
    const h = new Sha256();
    for (let i = 0; i < data.length; i += 61_440) h.update(data.subarray(i, i + 61_440));
    expect(h.hex()).toBe(createHash('sha256').update(data).digest('hex'));
    expect(new Sha256().hex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
