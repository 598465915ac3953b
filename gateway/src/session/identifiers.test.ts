import { describe, expect, it } from 'vitest';
import { newPin } from './identifiers.js';

describe('newPin', () => {
  it.each([6, 9, 14, 15, 16])('makes %i-digit PINs with every digit used in every position', (digits) => {
    const pins = Array.from({ length: 400 }, () => newPin(digits));
    for (const pin of pins) expect(pin).toMatch(new RegExp(`^\\d{${digits}}$`));
    // Each position sees all ten digits over 400 PINs (a stuck or truncated half would not).
    for (let i = 0; i < digits; i++) expect(new Set(pins.map((p) => p[i])).size).toBe(10);
  });
});
