/** Driving the console page the way a technician does; shared by the Chromium tests and bench/console. */
import type { Page } from 'playwright-core';

export async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('form.login button[type=submit]');
}

/** Picks up the waiting customer called `name` from the live queue; resolves with the session's panel. */
export async function pickUp(page: Page, name: string) {
  const row = page.locator('tr', { has: page.locator('td.customer-name', { hasText: name }) });
  await row.getByRole('button', { name: `Pick up ${name}` }).click();
  const session = page.locator(`section.session[aria-label="Session with ${name.replace(/"/g, '\\"')}"]`);
  await session.waitFor();
  return { row, session, guid: (await session.getAttribute('data-guid'))! };
}
