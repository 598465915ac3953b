/**
 * The technician console in a real Chromium against a real gateway. The customer is the SDK replaying a
 * real recording (native/testdata) through the native encoder, framed as the agent frames it
 * (protocol/screen-header.ts). One browser for the file; one page, reused.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFrames } from '../../../bench/codec/frames.js';
import { loadNative } from '../../../bench/codec/native.js';
import { manualClock, startTestGateway, type TestGateway } from '../../../gateway/test/gateway-harness.js';
import { httpJson, identityStores, loginToken } from '../../../gateway/test/identity/identity-fixture.js';
import { generate } from 'otplib';
import { channels } from '../../../protocol/channels.js';
import { encodeCursor } from '../../../protocol/cursor-events.js';
import { encodeScreenFrame } from '../../../protocol/screen-header.js';
import type { SessionConnection } from '../../sdk/src/node.js';
import { decodeInput, type InputEvent } from '../../../protocol/input-events.js';
import { canvasSha256 } from './canvas-hash.js';
import { launchChromium } from './chromium.js';
import { logIn as logInAs, pickUp } from './console-driver.js';

const clock = manualClock();
let t: TestGateway;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
let alicePw: string;
let bobPw: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  t = await startTestGateway({}, { now: clock });
  alicePw = await t.addTechnician('alice', 'acme');
  bobPw = await t.addTechnician('bob', 'acme');
  browser = await launchChromium(readFileSync(join(t.dataDir, 'tls', 'gateway.crt'), 'utf8'));
  page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(`${t.baseUrl}/`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

const logIn = (username: string, password: string) => logInAs(page, username, password);

/** A customer waiting on a PIN the console handed out, named `name`. */
async function inviteAndJoin(name: string): Promise<{ pin: string; link: string; customer: SessionConnection }> {
  const before = await page.locator('.invitation').count();
  await page.getByRole('button', { name: 'New session' }).click();
  await page.locator('.invitation').nth(before).waitFor();
  const invitation = page.locator('.invitation').first();
  const pin = (await invitation.locator('.pin').textContent())!.replace(/\s/g, '');
  const link = (await invitation.locator('a.link').textContent())!;
  const customer = await t.client().joinSession({ pin }, name);
  return { pin, link, customer };
}

function inputs(customer: SessionConnection): InputEvent[] {
  const seen: InputEvent[] = [];
  customer.on('data', (channel, payload) => {
    if (channel === channels.input.id) seen.push(...decodeInput(payload));
  });
  return seen;
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('two-step login', () => {
  it('enrols an authenticator on the way in when the organisation requires one (QR code, first code, recovery codes)', async () => {
    const stores = await identityStores(t);
    try {
      const adminPw = await stores.addAccount('olga', 'secure', 'administrator');
      const samPw = await stores.addAccount('sam', 'secure', 'technician');
      const admin = await loginToken(t, 'olga', adminPw);
      expect((await httpJson(t, 'PATCH', '/v1/admin/security', { token: admin, body: { requireTotp: true } })).status).toBe(200);
      const p = await browser.context.newPage();
      await p.goto(`${t.baseUrl}/`);
      await logInAs(p, 'sam', samPw);
      await p.getByAltText('QR code to scan with your authenticator app').waitFor();
      const secret = (await p.locator('.totp-secret').textContent())!;
      // The gateway's clock is the test's manual one: the code is computed for its time.
      await p.fill('#login-code', await generate({ secret, epoch: Math.floor(clock() / 1000) }));
      await p.getByRole('button', { name: 'Continue' }).click();
      await p.getByRole('heading', { name: 'Recovery codes' }).waitFor();
      expect(await p.locator('.recovery-codes li').count()).toBe(10);
      await p.getByRole('button', { name: 'I have saved them: continue' }).click();
      await p.locator('.desk').waitFor();
      await p.getByRole('button', { name: 'Log out' }).click();
      // The next login asks for a code; a wrong one says so.
      await logInAs(p, 'sam', samPw);
      await p.fill('#login-code', '000000');
      await p.getByRole('button', { name: 'Continue' }).click();
      await p.locator('#login-error', { hasText: 'Wrong username or password.' }).waitFor();
      await p.close();
    } finally {
      await stores.close();
    }
  });
});

describe('technician console', () => {
  it('says so clearly when the password is wrong (logging in with the keyboard alone)', async () => {
    // The username field has focus on arrival; Tab moves on, Enter submits.
    await page.keyboard.type('alice');
    await page.keyboard.press('Tab');
    await page.keyboard.type('not-the-password');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#login-error').textContent()).toBe('Wrong username or password.');
  });

  it('serves the page under a strict Content-Security-Policy and runs without a single violation', async () => {
    const csp = await page.evaluate(async () => (await fetch('/')).headers.get('content-security-policy'));
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(pageErrors).toEqual([]);
  });

  it('logs in, shows a new customer live, picks up, chats, gets view and control, shows the exact screen and cursor, sends keys, reads sysinfo, shares the clipboard, hands control to a colleague and back', { timeout: 60_000 }, async () => {
    await logIn('alice', alicePw);
    await page.locator('.desk').waitFor();

    // A name that would be markup if it were ever inserted as HTML.
    const name = 'Carol <img src=x id=pwned>';
    const { pin, link, customer } = await inviteAndJoin(name);
    expect(link).toBe(`${t.baseUrl}/join#${pin}`);
    // No reload: the queue is pushed.
    const row = page.locator('tr', { has: page.locator('td.customer-name', { hasText: name }) });
    await row.waitFor();
    expect(await page.locator('#pwned').count()).toBe(0);

    const { session, guid } = await pickUp(page, name);
    await customer.waitFor('active');
    await expect.poll(() => row.count()).toBe(0);

    // Chat both ways.
    const got: string[] = [];
    customer.on('chat', (m) => got.push(m.text));
    await session.getByLabel('Message to the customer').fill('Hello, this is Alice.');
    await session.getByLabel('Message to the customer').press('Enter');
    await until(() => got.includes('Hello, this is Alice.'), 'the technician’s chat at the customer');
    customer.chat('Hi Alice, my screen is frozen.');
    await session.locator('.chat-log li', { hasText: 'Hi Alice, my screen is frozen.' }).waitFor();

    // The organisation's policy is shown (the default one here).
    await session.locator('ul.policy li', { hasText: 'Direct paths allowed' }).waitFor();

    // Ask for view; the customer grants it; the console says so.
    const requests: string[] = [];
    customer.on('request', (p) => {
      requests.push(p);
      customer.grant(p);
    });
    await session.getByRole('button', { name: 'Ask the customer: See the screen' }).click();
    await session.locator('li[data-power=view].granted').waitFor();
    expect(await session.locator('li[data-power=control].granted').count()).toBe(0);

    // The screen: six frames of a real terminal recording, keyframe then deltas.
    const clip = loadFrames(join(import.meta.dirname, '../../../native/testdata/term-vim-clip.mkv'), 6);
    const encoder = new (loadNative().Encoder)(clip.width, clip.height);
    clip.frames.forEach((f, i) => customer.sendRaw(encodeScreenFrame({ keyframe: i === 0, repair: false, frame: i + 1 }, encoder.encode(f))));
    // As the agent does: a viewer that lacks the picture gets a repair keyframe of the last frame sent.
    customer.on('resync', () => customer.sendRaw(encodeScreenFrame({ keyframe: true, repair: true, frame: clip.frames.length }, encoder.encode(clip.frames.at(-1)!, { keyframe: true }))));
    const viewport = session.locator('.screen-viewport');
    await expect.poll(() => viewport.getAttribute('data-frame')).toBe('6');
    expect(await session.locator('.screen-viewport.paused').count()).toBe(0);
    await session.getByText(`Screen ${clip.width} × ${clip.height}, fitted to the window.`).waitFor();
    // 1:1 shows every pixel and scrolls; back to fitted.
    await session.getByRole('button', { name: 'Show actual size (1:1)' }).click();
    expect((await session.locator('canvas.screen-canvas').boundingBox())!.width).toBe(clip.width);
    expect(await viewport.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    await session.getByRole('button', { name: 'Fit to window' }).click();
    expect((await session.locator('canvas.screen-canvas').boundingBox())!.width).toBeLessThan(clip.width);
    const shot = await page.evaluate((g) => (globalThis as any).relaydeskProbe.snapshot(g), guid);
    expect(shot).toEqual({ width: clip.width, height: clip.height, sha256: canvasSha256(clip.frames.at(-1)!) });

    // Control: asked, granted, on; keys arrive as X keysyms, pressed and released.
    const received = inputs(customer);
    await session.getByRole('button', { name: 'Ask the customer: Control mouse and keyboard' }).click();
    await expect.poll(() => session.getByRole('button', { name: /^Control:/ }).getAttribute('aria-pressed')).toBe('true');
    await viewport.focus();
    await page.keyboard.press('a');
    await page.keyboard.press('Shift+KeyB');
    await until(() => received.length >= 6, 'six key events');
    expect(received.slice(0, 6)).toEqual([
      { type: 'key', keysym: 0x61, down: true },
      { type: 'key', keysym: 0x61, down: false },
      { type: 'key', keysym: 0xffe1, down: true },
      { type: 'key', keysym: 0x42, down: true },
      { type: 'key', keysym: 0x42, down: false },
      { type: 'key', keysym: 0xffe1, down: false },
    ]);
    // Keys the browser would take come from the menu.
    received.length = 0;
    await session.getByText('Special keys').click();
    await session.getByRole('button', { name: 'Send Ctrl+Alt+Del' }).click();
    await until(() => received.length >= 6, 'Ctrl+Alt+Del');
    expect(received.map((e) => (e.type === 'key' ? `${e.keysym.toString(16)}${e.down ? '↓' : '↑'}` : e.type))).toEqual(['ffe3↓', 'ffe9↓', 'ffff↓', 'ffff↑', 'ffe9↑', 'ffe3↑']);
    // A click lands on the remote pixel under the pointer (the canvas is scaled to fit).
    received.length = 0;
    const box = (await session.locator('canvas.screen-canvas').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 4);
    await until(() => received.filter((e) => e.type === 'button').length >= 2, 'a click');
    const at = received.findIndex((e) => e.type === 'button' && e.down);
    expect(received[at]).toEqual({ type: 'button', button: 1, down: true });
    const move = received[at - 1] as Extract<InputEvent, { type: 'move' }>;
    expect(move.type).toBe('move');
    expect(Math.abs(move.x - clip.width / 2)).toBeLessThanOrEqual(2);
    expect(Math.abs(move.y - clip.height / 4)).toBeLessThanOrEqual(2);
    // A paste is typed as key presses.
    received.length = 0;
    await session.getByText('Paste text').click();
    await session.getByLabel('Text to type on the customer’s machine').fill('ls\n');
    await session.getByRole('button', { name: 'Type it on the customer’s machine' }).click();
    await until(() => received.length >= 6, 'the pasted text');
    expect(received.filter((e) => e.type === 'key' && e.down).map((e) => (e as { keysym: number }).keysym)).toEqual([0x6c, 0x73, 0xff0d]);

    // The remote cursor is drawn where the customer's pointer is; a paused share shows as paused.
    customer.send(channels.cursor.id, encodeCursor({ type: 'position', x: clip.width / 2, y: clip.height / 2, visible: true }));
    await expect.poll(() => session.locator('.remote-cursor').isVisible()).toBe(true);
    const cursorBox = (await session.locator('.remote-cursor').boundingBox())!;
    const canvasBox = (await session.locator('canvas.screen-canvas').boundingBox())!;
    expect(Math.abs(cursorBox.x - (canvasBox.x + canvasBox.width / 2))).toBeLessThanOrEqual(2);
    customer.share({ state: 'paused', kind: 'monitor', width: clip.width, height: clip.height });
    await session.locator('.screen-viewport.paused').waitFor();
    await session.getByText('The customer paused the screen share.').waitFor();
    customer.share({ state: 'live', kind: 'monitor', width: clip.width, height: clip.height });
    await expect.poll(() => session.locator('.screen-viewport.paused').count()).toBe(0);

    // A colleague joins: the console shows who is in the session, and control can be handed over and back.
    const bob = t.client();
    await bob.login('bob', bobPw);
    const bobConn = await bob.attend(guid);
    await session.locator('.people li', { hasText: 'Tech bob' }).waitFor();
    // Which path each participant uses shows in the list: the relay, until the customer's SDK goes direct
    // with Bob's (its announcement travels over the relay, and the gateway tells everyone).
    await session.locator('.people li[data-role=customer] .person-path[data-path=relay]', { hasText: 'via the gateway relay' }).waitFor();
    customer.signal({ topic: 'path', step: 'using', path: 'tcp', reason: 'found' }, bobConn.you);
    await session.locator('.people li[data-role=customer] .person-path[data-path=tcp]', { hasText: 'direct path (TCP)' }).waitFor();
    customer.signal({ topic: 'path', step: 'using', path: 'relay', reason: 'closed' }, bobConn.you);
    await session.locator('.people li[data-role=customer] .person-path[data-path=relay]').waitFor();
    await session.getByRole('button', { name: 'Give control to Tech bob' }).click();
    await expect.poll(() => session.getByRole('button', { name: /^Control:/ }).textContent()).toBe('Control: with Tech bob');
    received.length = 0;
    await viewport.focus();
    await page.keyboard.press('x');
    const aliceId = (await session.locator('.people li', { hasText: '(you)' }).getAttribute('data-id'))!;
    bobConn.pass(aliceId);
    // A transfer resets the grants that act for the controller (control, clipboard): the customer decides again.
    await expect.poll(() => session.getByRole('button', { name: /^Control:/ }).textContent()).toBe('Control: not granted');
    await session.locator('li[data-power=control].not-granted').waitFor();
    expect(received).toEqual([]); // nothing went out while Bob held control
    bobConn.leave();
    await expect.poll(() => session.locator('.people li', { hasText: 'Tech bob' }).count()).toBe(0);

    // The invitation link opens the session in a colleague's console, as a viewer.
    const inviteLink = (await session.locator('.invite-colleague a.link').getAttribute('href'))!;
    expect(inviteLink).toBe(`${t.baseUrl}/#attend=${guid}`);
    const colleague = await browser.context.newPage();
    await colleague.goto(`${t.baseUrl}/`);
    await logInAs(colleague, 'bob', bobPw);
    await colleague.locator('.desk').waitFor();
    await colleague.goto(inviteLink);
    const seen = colleague.locator(`section.session[data-guid="${guid}"]`);
    await seen.locator('.people li', { hasText: 'Tech alice' }).waitFor();
    await expect.poll(() => seen.locator('.screen-viewport').getAttribute('data-frame'), { timeout: 5000 }).toBe(String(clip.frames.length));
    expect(await seen.getByRole('button', { name: /^Control:/ }).textContent()).toBe('Control: with Tech alice');
    await session.locator('.people li', { hasText: 'Tech bob' }).waitFor();
    await seen.getByRole('button', { name: 'Leave (the session goes on)' }).click();
    await expect.poll(() => session.locator('.people li', { hasText: 'Tech bob' }).count()).toBe(0);
    await colleague.close();

    // System information and the clipboard, once granted, both ways.
    await session.getByRole('button', { name: 'Ask the customer: Read system information' }).click();
    await session.locator('li[data-power=sysinfo].granted').waitFor();
    customer.sysinfo({ os: 'Debian GNU/Linux 12', hostname: 'carol-laptop' });
    await session.locator('.sysinfo dd', { hasText: 'carol-laptop' }).waitFor();
    await session.getByRole('button', { name: 'Ask the customer: Share the clipboard' }).click();
    await session.locator('li[data-power=clipboard].granted').waitFor();
    const clip1: string[] = [];
    customer.on('clipboard', (e) => clip1.push(e.text));
    customer.clipboard('error: disk full');
    await session.getByLabel('The customer’s clipboard').filter({ hasText: 'error: disk full' }).waitFor();
    await session.getByText('Paste text').click();
    await session.getByLabel('Text to type on the customer’s machine').fill('df -h');
    await session.getByRole('button', { name: 'Put it on the customer’s clipboard' }).click();
    await until(() => clip1.includes('df -h'), 'the clipboard at the customer');

    // Readable at 200% zoom: the same window at half the CSS pixels reflows without sideways scrolling.
    await page.setViewportSize({ width: 640, height: 400 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(640);
    await page.setViewportSize({ width: 1280, height: 800 });

    // The customer ends the session: control is gone at once, and the console says why.
    customer.end();
    await session.locator('.notice', { hasText: 'The customer ended the session.' }).waitFor();
    expect(await session.getByRole('button', { name: /^Control:/ }).getAttribute('aria-pressed')).toBe('false');
    expect(await session.getByRole('button', { name: /^Control:/ }).isDisabled()).toBe(true);
    expect(await page.getByRole('tab', { name: `${name} (ended)` }).count()).toBe(1);
    expect(requests).toEqual(['view', 'control', 'sysinfo', 'clipboard']);
    await session.getByRole('button', { name: 'Close tab' }).click();
    await expect.poll(() => page.locator('section.session').count()).toBe(0);
  });

  it('says clearly that another technician was faster', async () => {
    // Hold back queue updates, as when two technicians click at the same moment.
    let frozen = false;
    await page.routeWebSocket(/\/v1\/queue$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => !frozen && ws.send(m));
    });
    await page.reload();
    await page.locator('.queue-status', { hasText: 'Live' }).waitFor();
    const { customer } = await inviteAndJoin('Dora');
    const row = page.locator('tr', { has: page.locator('td.customer-name', { hasText: 'Dora' }) });
    await row.waitFor();
    frozen = true;
    const bob = t.client();
    await bob.login('bob', bobPw);
    const guid = (await row.getAttribute('data-guid'))!;
    const bobs = await bob.pickUp(guid);
    await row.getByRole('button', { name: 'Pick up Dora' }).click();
    await page.locator('.queue .alert', { hasText: 'Dora: Another technician has already picked up this customer.' }).waitFor();
    bobs.end();
    await customer.closedPromise();
    frozen = false;
  });

  it('logs out when the token expires, and says why', async () => {
    clock.advance(3601_000); // past tokenTtlSeconds (3600): the gateway's next token check refuses it
    await page.locator('#login-error', { hasText: 'Your login has expired' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('.desk').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});

describe('customer browser page', () => {
  it('joins by link, chats, shares the screen with the TypeScript encoder (exact at the technician), and says control is not possible', async () => {
    const tech = t.client();
    await tech.login('bob', bobPw);
    const created = await tech.createSession();
    const customerPage = await browser.context.newPage();
    customerPage.on('pageerror', (e) => pageErrors.push(String(e)));
    // No one clicks through the browser's screen picker in a test: the page is shared as "this tab".
    await customerPage.addInitScript(() => {
      const md = navigator.mediaDevices;
      const original = md.getDisplayMedia.bind(md);
      md.getDisplayMedia = (c?: DisplayMediaStreamOptions) => original({ ...c, preferCurrentTab: true } as DisplayMediaStreamOptions);
    });
    // A mistyped PIN says so.
    await customerPage.goto(`${t.baseUrl}/join`);
    await customerPage.fill('#join-pin', '1234 5678 9012');
    await customerPage.fill('#join-name', 'Erin');
    await customerPage.getByRole('button', { name: 'Connect' }).click();
    await customerPage.getByText('This PIN is not valid: it may be mistyped, expired or already used.').waitFor();
    await customerPage.goto(`${t.baseUrl}/join#${created.pin}`);
    expect(await customerPage.locator('#join-pin').inputValue()).toBe(created.pin);
    await customerPage.fill('#join-name', 'Erin');
    await customerPage.getByRole('button', { name: 'Connect' }).click();
    await customerPage.getByText('Waiting for a technician…').waitFor();
    const conn = await tech.pickUp(created.guid);
    await customerPage.getByText('Connected with Tech bob.').waitFor();

    const got: string[] = [];
    conn.on('chat', (m) => got.push(m.text));
    conn.chat('Hello Erin');
    await customerPage.locator('.chat-log li', { hasText: 'Hello Erin' }).waitFor();
    await customerPage.getByLabel('Message to the technician').fill('Hi Bob');
    await customerPage.getByLabel('Message to the technician').press('Enter');
    await until(() => got.includes('Hi Bob'), 'the customer’s chat');

    // View: the customer allows, picks what to share, and the technician decodes every frame.
    const native = loadNative();
    let decoder: InstanceType<typeof native.Decoder> | null = null;
    let frames = 0;
    let firstFlags = -1;
    conn.on('data', (channel, payload) => {
      if (channel !== channels.screen.id) return;
      const packet = payload.subarray(9);
      if (firstFlags < 0) firstFlags = payload[0]!;
      const w = packet[5]! | (packet[6]! << 8);
      const h = packet[7]! | (packet[8]! << 8);
      if (!decoder || decoder.width !== w || decoder.height !== h) decoder = new native.Decoder(w, h);
      decoder.decode(packet);
      frames = new DataView(payload.buffer, payload.byteOffset + 1, 4).getUint32(0);
    });
    conn.request('view');
    // Tab capture wants the tab in front (other pages of this browser may have been opened after it).
    await customerPage.bringToFront();
    await customerPage.getByRole('button', { name: 'Allow and choose what to share' }).click();
    await until(() => conn.grants.includes('view'), 'the view grant', 20_000).catch(async (e) => {
      throw new Error(`${e.message}; the page says: ${await customerPage.locator('.notice').textContent()}`);
    });
    await until(() => frames >= 3, 'three screen frames', 15_000);
    await customerPage.getByRole('button', { name: 'Pause sharing' }).click();
    const sent = async () => (await customerPage.evaluate(() => (globalThis as any).relaydeskJoinProbe.share.frameNo)) as number;
    await expect.poll(async () => (await sent()) === frames, { timeout: 5000 }).toBe(true);
    const last = await customerPage.evaluate(() => (globalThis as any).relaydeskJoinProbe.share.lastFrameHash());
    expect(firstFlags & 1).toBe(1);
    expect(last.width).toBe(decoder!.width);
    expect(createHash('sha256').update(decoder!.frame()).digest('hex')).toBe(last.sha256);

    // Control: the page explains, and nothing is granted.
    conn.request('control');
    await customerPage.locator('.consent', { hasText: 'Remote control is not possible from a browser page' }).waitFor();
    await customerPage.getByRole('button', { name: 'OK' }).click();
    expect(conn.grants).toEqual(['view']);

    await customerPage.getByRole('button', { name: 'End session' }).click();
    expect((await conn.closedPromise()).code).toBe(1000);
    await customerPage.getByText('You ended the session.').waitFor();
    await customerPage.close();
    expect(pageErrors).toEqual([]);
  });
});

describe('pre-session form', () => {
  it('the customer page asks the organisation’s questions before joining; the console’s live queue shows the answers as typed', async () => {
    const stores = await identityStores(t);
    try {
      const adminPw = await stores.addAccount('hank', 'helpdesk', 'administrator');
      const halPw = await stores.addAccount('hal', 'helpdesk', 'technician');
      // The gateway reads its account file again at most once a second (open-accounts.ts recheckMs), and it has
      // read it for the tests before this one: wait that second out, or the new accounts may not be seen yet.
      await new Promise((r) => setTimeout(r, 1100));
      const admin = await loginToken(t, 'hank', adminPw);
      const fields = [
        { key: 'order', label: 'Order number', required: true, maxLength: 12 },
        { key: 'device', label: 'Device', maxLength: 60 },
      ];
      expect((await httpJson(t, 'PUT', '/v1/admin/form', { token: admin, body: { fields } })).status).toBe(200);
      const desk = await browser.context.newPage();
      desk.on('pageerror', (e) => pageErrors.push(String(e)));
      await desk.goto(`${t.baseUrl}/`);
      await logInAs(desk, 'hal', halPw);
      await desk.locator('.desk').waitFor();
      const created = await httpJson(t, 'POST', '/v1/sessions', { token: await loginToken(t, 'hal', halPw), body: {} });

      const customerPage = await browser.context.newPage();
      customerPage.on('pageerror', (e) => pageErrors.push(String(e)));
      await customerPage.goto(`${t.baseUrl}/join#${created.body.pin}`);
      await customerPage.fill('#join-name', 'Frank');
      await customerPage.getByRole('button', { name: 'Connect' }).click();
      // The gateway asked: the questions appear, labelled, with the organisation's limits.
      await customerPage.getByText('Before you connect, please answer these questions.').waitFor();
      const order = customerPage.getByLabel('Order number (required)');
      expect(await order.getAttribute('maxlength')).toBe('12');
      expect(await order.evaluate((el) => el === document.activeElement)).toBe(true);
      await order.fill('A-1234');
      await customerPage.getByLabel('Device', { exact: true }).fill('<img src=x onerror=alert(1)> laptop');
      await customerPage.getByRole('button', { name: 'Connect' }).click();
      await customerPage.getByText('Waiting for a technician…').waitFor();

      // Live, without a reload: name, waiting time and the answers, markup shown as text.
      const row = desk.locator('tr', { has: desk.locator('td.customer-name', { hasText: 'Frank' }) });
      await row.locator('.form-answers').waitFor();
      expect(await row.locator('.form-answers dt').allTextContents()).toEqual(['Order number', 'Device']);
      expect(await row.locator('.form-answers dd').allTextContents()).toEqual(['A-1234', '<img src=x onerror=alert(1)> laptop']);
      expect(await row.locator('img').count()).toBe(0);
      expect(await row.locator('td.waiting').textContent()).toMatch(/\d+ s$/);

      // Picked up, the session tab keeps the answers beside the session, still as text.
      await row.getByRole('button', { name: 'Pick up Frank' }).click();
      const session = desk.locator('section.session', { hasText: 'Before the session' });
      await session.waitFor();
      expect(await session.locator('.form-answers dd').allTextContents()).toEqual(['A-1234', '<img src=x onerror=alert(1)> laptop']);
      expect(await session.locator('img').count()).toBe(0);

      await customerPage.getByRole('button', { name: 'End session' }).click();
      await row.waitFor({ state: 'detached' });
      await customerPage.close();
      await desk.close();
      expect(pageErrors).toEqual([]);
    } finally {
      await stores.close();
    }
  });
});

describe('inactivity', () => {
  it('logs out after 15 minutes without use while no session is open, and says why', async () => {
    // Playwright's clock is the whole context's: this test runs last, so no other page lives under it.
    const idle = await browser.context.newPage();
    await idle.clock.install();
    await idle.goto(`${t.baseUrl}/`);
    await logInAs(idle, 'bob', bobPw);
    await idle.locator('.desk').waitFor();
    await idle.clock.fastForward('14:00');
    expect(await idle.locator('.desk').count()).toBe(1);
    await idle.clock.fastForward('01:05');
    await idle.locator('#login-error', { hasText: 'You were logged out after a period of inactivity.' }).waitFor();
    await idle.close();
  });
});
