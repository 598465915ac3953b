import { expect, it } from 'vitest';
import { cachedCopy } from './cached-copy.js';

it('gives a deep copy each time: changing one changes neither the cached value nor the next copy', () => {
  const cached = { id: 'a', tags: ['x'], nested: { n: 1 } };
  const first = cachedCopy(cached);
  first.tags.push('y');
  first.nested.n = 2;
  expect(cached).toEqual({ id: 'a', tags: ['x'], nested: { n: 1 } });
  expect(cachedCopy(cached)).toEqual({ id: 'a', tags: ['x'], nested: { n: 1 } });
  expect(cachedCopy(cached)).not.toBe(cachedCopy(cached));
});
