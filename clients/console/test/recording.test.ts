/**
 * Recording in both browser pages, against a real gateway in a real Chromium: the technician asks in the
 * console, the customer allows it on the join page; both see it recorded (the recorder in the participants
 * list, a banner for the customer) and both see it stop.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../gateway/test/gateway-harness.js';
import { identityStores } from '../../../gateway/test/identity/identity-fixture.js';
import { launchChromium } from './chromium.js';
import { logIn, pickUp } from './console-driver.js';

let t: TestGateway;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let password: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  t = await startTestGateway();
  const stores = await identityStores(t);
  password = await stores.addAccount('rita', 'records', 'technician');
  await stores.org('records', (o) => void (o.policy = { recording: 'on-request' }));
  await stores.close();
  browser = await launchChromium(readFileSync(join(t.dataDir, 'tls', 'gateway.crt'), 'utf8'));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

async function newPage(url: string): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(url);
  return page;
}

describe('recording in the console and on the customer’s page', () => {
  it('the technician asks, the customer allows; both see the recording, and both see it stop', { timeout: 60_000 }, async () => {
    const consolePage = await newPage(`${t.baseUrl}/`);
    await logIn(consolePage, 'rita', password);
    await consolePage.getByRole('button', { name: 'New session' }).click();
    const pin = (await consolePage.locator('.invitation .pin').first().textContent())!.replace(/\s/g, '');
    const customerPage = await newPage(`${t.baseUrl}/join#${pin}`);
    await customerPage.fill('#join-name', 'Olga');
    await customerPage.getByRole('button', { name: 'Connect' }).click();
    await customerPage.getByText('Waiting for a technician…').waitFor();
    const { session } = await pickUp(consolePage, 'Olga');
    await session.getByText('Recording: on-request').waitFor();
    await session.getByText('Not recorded.').waitFor();

    await session.getByRole('button', { name: 'Ask to record' }).click();
    await session.getByText('Asked the customer to allow recording…').waitFor();
    await customerPage.getByText('asks to record this session.').waitFor();
    await customerPage.getByRole('button', { name: 'Allow recording' }).click();

    await session.getByText('This session is being recorded').waitFor();
    await session.locator('ul.people li[data-role="system"]', { hasText: 'recorder' }).waitFor();
    await customerPage.getByText('This session is being recorded.').waitFor();

    await session.getByRole('button', { name: 'Stop recording' }).click();
    await session.getByText('Not recorded.').waitFor();
    await customerPage.locator('.recording-banner').waitFor({ state: 'hidden' });
    expect(await session.locator('ul.people li[data-role="system"]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
