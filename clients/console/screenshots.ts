/**
 * Makes the screenshots in docs/img/ (console-*.png) from the real pages: a gateway on loopback, Chromium,
 * an SDK customer replaying a recording. `npx tsx clients/console/screenshots.ts [--out docs/img]`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadFrames } from '../../bench/codec/frames.js';
import { loadNative } from '../../bench/codec/native.js';
import { startTestGateway } from '../../gateway/test/gateway-harness.js';
import { encodeScreenFrame } from '../../protocol/screen-header.js';
import { launchChromium } from './test/chromium.js';
import { logIn, pickUp } from './test/console-driver.js';

const { values } = parseArgs({ options: { out: { type: 'string', default: join(import.meta.dirname, '../../docs/img') } } });
const out = values.out!;
const t = await startTestGateway({ logLevel: 'warn' });
const browser = await launchChromium(readFileSync(join(t.dataDir, 'tls', 'gateway.crt'), 'utf8'), { width: 1440, height: 900 });
try {
  const pw = await t.addTechnician('alice', 'acme');
  const page = await browser.context.newPage();
  await page.goto(`${t.baseUrl}/`);
  await page.screenshot({ path: join(out, 'console-login.png') });
  await logIn(page, 'alice', pw);
  await page.locator('.desk').waitFor();
  const tech = t.client();
  await tech.login('alice', pw);
  const customers = [];
  for (const name of ['Carol Jones', 'Dev Patel', 'Élodie Martin']) {
    const s = await tech.createSession();
    customers.push(await t.client().joinSession({ pin: s.pin }, name));
    await new Promise((r) => setTimeout(r, 1200));
  }
  await page.getByRole('button', { name: 'New session' }).click();
  await page.locator('.invitation').waitFor();
  await page.locator('td.customer-name', { hasText: 'Élodie Martin' }).waitFor();
  await page.screenshot({ path: join(out, 'console-queue.png') });

  const carol = customers[0]!;
  carol.on('request', (p) => p !== 'files' && carol.grant(p));
  const { session } = await pickUp(page, 'Carol Jones');
  await carol.waitFor('active');
  carol.chat('Hi, my editor froze after I saved the file.');
  await session.getByLabel('Message to the customer').fill('Hello Carol, let me have a look.');
  await session.getByLabel('Message to the customer').press('Enter');
  await session.getByRole('button', { name: 'Ask the customer: See the screen' }).click();
  await session.locator('li[data-power=view].granted').waitFor();
  const clip = loadFrames(join(import.meta.dirname, '../../native/testdata/term-vim-clip.mkv'), 4);
  const enc = new (loadNative().Encoder)(clip.width, clip.height);
  clip.frames.forEach((f, i) => carol.sendRaw(encodeScreenFrame({ keyframe: i === 0, repair: false, frame: i + 1 }, enc.encode(f))));
  await page.waitForFunction(() => document.querySelector('.screen-viewport')?.getAttribute('data-frame') === '4');
  await session.getByRole('button', { name: 'Ask the customer: Control mouse and keyboard' }).click();
  await session.locator('li[data-power=control].granted').waitFor();
  await page.screenshot({ path: join(out, 'console-session.png') });

  // The customer's browser page, with a request waiting for an answer.
  const s = await tech.createSession();
  const customerPage = await browser.context.newPage();
  await customerPage.setViewportSize({ width: 900, height: 900 });
  await customerPage.goto(`${t.baseUrl}/join#${s.pin}`);
  await customerPage.fill('#join-name', 'Frank');
  await customerPage.getByRole('button', { name: 'Connect' }).click();
  await customerPage.getByText('Waiting for a technician…').waitFor();
  const frank = await tech.pickUp(s.guid);
  frank.chat('Hello Frank, may I see your screen?');
  frank.request('view');
  await customerPage.getByRole('button', { name: 'Allow and choose what to share' }).waitFor();
  await customerPage.screenshot({ path: join(out, 'console-join.png') });
  console.log(`screenshots written to ${out}`);
} finally {
  await browser.close();
  await t.stop();
}
process.exit(0);
