import { describe, expect, it } from 'vitest';
import { parseFormFields } from './form-fields.js';

describe('--field KEY=VALUE', () => {
  it('becomes the answers of join; the value may hold "=" and be empty', () => {
    expect(parseFormFields(['order=A-1', 'note=a=b', 'device='])).toEqual({ order: 'A-1', note: 'a=b', device: '' });
    expect(parseFormFields([])).toEqual({});
  });

  it('refuses a pair without a key, a key given twice and more fields than any form has', () => {
    expect(() => parseFormFields(['=x'])).toThrow(/KEY=VALUE/);
    expect(() => parseFormFields(['order'])).toThrow(/KEY=VALUE/);
    expect(() => parseFormFields(['a=1', 'a=2'])).toThrow(/twice/);
    expect(() => parseFormFields(Array.from({ length: 7 }, (_, i) => `k${i}=x`))).toThrow(/at most 6/);
  });
});
