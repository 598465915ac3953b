import { expect, it } from 'vitest';
import { bindingMatches, bindingSetCookie, newBrowserBinding } from './browser-binding.js';

it('matches only the cookie whose hash was kept, among other cookies, and never without one', () => {
  const b = newBrowserBinding();
  expect(bindingSetCookie(b.value, 600)).toBe(`rd_sso=${b.value}; Path=/v1/auth/; Max-Age=600; HttpOnly; Secure; SameSite=None`);
  expect(bindingMatches(`theme=dark; rd_sso=${b.value}; x=1`, b.hash)).toBe(true);
  expect(bindingMatches(`rd_sso=${newBrowserBinding().value}`, b.hash)).toBe(false);
  expect(bindingMatches('', b.hash)).toBe(false);
  expect(bindingMatches(`rd_sso=${b.value}`, undefined)).toBe(false);
  expect(bindingMatches(`rd_sso=${'a'.repeat(10_000)}`, b.hash)).toBe(false);
});
