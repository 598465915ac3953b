/**
 * Files in the technician console, in a real Chromium against a real gateway; the customer is the SDK.
 * Send with the file input, receive with a download, progress and outcome shown, refuse and cancel.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../gateway/test/gateway-harness.js';
import { FileTransfers, bytesSource, type IncomingFile, type SessionConnection } from '../../sdk/src/node.js';
import { launchChromium } from './chromium.js';
import { logIn, pickUp } from './console-driver.js';

let t: TestGateway;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
let password: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  t = await startTestGateway();
  password = await t.addTechnician('fiona', 'acme');
  browser = await launchChromium(readFileSync(join(t.dataDir, 'tls', 'gateway.crt'), 'utf8'));
  page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // A CSP violation is reported on the console: the file panel needs no exception to the policy.
  page.on('console', (m) => m.text().includes('Content Security Policy') && pageErrors.push(m.text()));
  await page.goto(`${t.baseUrl}/`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

describe('files in the console', () => {
  it('sends a file from the file input and receives one as a download, byte-exact; refuses and cancels', { timeout: 60_000 }, async () => {
    await logIn(page, 'fiona', password);
    await page.locator('.desk').waitFor();
    await page.getByRole('button', { name: 'New session' }).click();
    const pin = (await page.locator('.invitation .pin').first().textContent())!.replace(/\s/g, '');
    const customer: SessionConnection = await t.client().joinSession({ pin }, 'Dana');
    const { session } = await pickUp(page, 'Dana');
    const files = session.locator('.file-panel');
    await customer.waitFor('active');
    // Before the grant the console says what to do and does not offer sending.
    expect(await files.getByLabel('File to send to the customer').isDisabled()).toBe(true);
    customer.grant('files');
    await expect.poll(() => files.getByLabel('File to send to the customer').isDisabled()).toBe(false);

    const atCustomer = new FileTransfers(customer);
    const offers: IncomingFile[] = [];
    atCustomer.on('offer', (f) => offers.push(f));

    // Console → customer: the customer accepts; bytes and checksum match.
    const toCustomer = randomBytes(300_000);
    await files.getByLabel('File to send to the customer').setInputFiles({ name: 'fix.sh', mimeType: 'text/x-sh', buffer: toCustomer });
    await files.getByRole('button', { name: 'Send file' }).click();
    await expect.poll(() => offers.length).toBe(1);
    const parts: Uint8Array[] = [];
    offers[0]!.accept({ write: (c) => void parts.push(c.slice()), finish: () => {} });
    expect(await offers[0]!.done).toMatchObject({ ok: true });
    expect(offers[0]!.info).toMatchObject({ name: 'fix.sh', mime: 'text/x-sh', size: toCustomer.length });
    expect(Buffer.concat(parts).equals(toCustomer)).toBe(true);
    await files.locator('.transfer', { hasText: 'fix.sh' }).getByText('delivered, checksum verified by the customer').waitFor();

    // Customer → console: accepted in the page, saved through a download link.
    const fromCustomer = randomBytes(200_000);
    const sent = atCustomer.offer(bytesSource('logs <b>.txt', fromCustomer));
    await files.getByRole('button', { name: 'Accept logs <b>.txt' }).click();
    expect(await sent.done).toMatchObject({ ok: true });
    const row = files.locator('.transfer', { hasText: 'logs <b>.txt' });
    await row.getByText('received, checksum verified').waitFor();
    expect(await row.locator('progress').evaluate((p: HTMLProgressElement) => p.value)).toBe(fromCustomer.length);
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('link', { name: 'Save logs <b>.txt' }).click()]);
    // The page shows the name as text and offers it as given; Chromium makes it safe for the disk itself.
    expect(download.suggestedFilename()).toBe('logs _b_.txt');
    expect(readFileSync((await download.path())!).equals(fromCustomer)).toBe(true);

    // The technician refuses one, and withdraws one the customer has not answered.
    const refused = atCustomer.offer(bytesSource('virus.exe', new Uint8Array(10)));
    await files.getByRole('button', { name: 'Refuse virus.exe' }).click();
    expect(await refused.done).toMatchObject({ ok: false, reason: 'refused' });
    await files.locator('.transfer', { hasText: 'virus.exe' }).getByText('refused').waitFor();
    await files.getByLabel('File to send to the customer').setInputFiles({ name: 'later.zip', mimeType: 'application/zip', buffer: Buffer.alloc(1000) });
    await files.getByRole('button', { name: 'Send file' }).click();
    await expect.poll(() => offers.length).toBe(2);
    await files.getByRole('button', { name: 'Cancel later.zip' }).click();
    expect(await offers[1]!.done).toMatchObject({ ok: false, reason: 'cancelled' });

    // Taking `files` back stops sending at once in the page too.
    customer.revoke('files');
    await expect.poll(() => files.getByLabel('File to send to the customer').isDisabled()).toBe(true);
    expect(pageErrors).toEqual([]);
    customer.end();
  });
});
