import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { optionsMarkdownTable } from './options-table.js';

describe('README configuration table', () => {
  it('is exactly the table generated from the option specs', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const block = /<!-- options-table:begin[^>]*-->\n([\s\S]*?)\n<!-- options-table:end -->/.exec(readme);
    expect(block, 'README.md has the options-table markers').not.toBeNull();
    expect(block![1]).toBe(optionsMarkdownTable());
  });
});
