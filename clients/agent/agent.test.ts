import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeInput, typeText } from '../../protocol/input-events.js';
import { eventually, sleep } from '../../gateway/test/e2e/events.js';
import { startTestGateway, type TestGateway } from '../../gateway/test/gateway-harness.js';
import type { SessionConnection } from '../sdk/src/node.js';
import type { Answer } from './consent.js';
import { CustomerAgent } from './customer-agent.js';
import { openDesktop, parseWindowArg, type ShareTarget } from './desktop.js';
import { ScreenStream } from './screen-stream.js';
import { loadNative } from './native.js';
import { TechnicianView, pixelDifferences } from './test/technician-view.js';
import { startXServer, type XServer } from './test/x-server.js';

const W = 640;
const H = 480;
let x: XServer;
let gw: TestGateway;
let password: string;
let theoPassword: string;
const dir = mkdtempSync(join(tmpdir(), 'relaydesk-agent-'));

beforeAll(async () => {
  [x, gw] = await Promise.all([startXServer(W, H), startTestGateway()]);
  password = await gw.addTechnician('tess', 'acme');
  theoPassword = await gw.addTechnician('theo', 'acme');
  // A real shell in a real terminal, where the technician types. No window manager: what X stacks is what shows.
  x.client('xterm', ['-T', 'work', '-geometry', '60x15+20+20', '-b', '0', '-e', 'sh'], { LANG: 'C.UTF-8' });
  expect(await eventually(async () => (await x.xdotool('search', '--name', '^work$').catch(() => '')) !== '', 10_000)).toBe(true);
});
afterAll(async () => {
  await Promise.all([x?.stop(), gw?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

interface Pair {
  /** How the customer answers prompts (a customer who allows everything for the session, unless changed). */
  answer: Answer;
  agent: CustomerAgent;
  tech: SessionConnection;
  view: TechnicianView;
  rejected: { code: string }[];
}

/** A customer agent sharing `target` and a technician who picked the session up, with `powers` allowed. */
async function pair(target: ShareTarget, powers: ('view' | 'control')[]): Promise<Pair> {
  const tc = gw.client();
  await tc.login('tess', password);
  const s = await tc.createSession();
  const customer = await gw.client().joinSession({ pin: s.pin }, 'Pat');
  const { desktop, kind, label } = openDesktop(x.display, target);
  const agent = new CustomerAgent(customer, desktop, { kind, label });
  const rejected: { code: string }[] = [];
  agent.on('inputRejected', (r) => rejected.push(r));
  const result = { answer: 'session' as Answer, agent } as Pair;
  agent.on('prompt', (p) => agent.answer(p.id, result.answer));
  const tech = await tc.pickUp(s.guid);
  const view = new TechnicianView(tech);
  await customer.waitFor('active');
  for (const p of powers) tech.request(p);
  expect(await eventually(() => powers.every((p) => agent.consent.has(p)))).toBe(true);
  return Object.assign(result, { tech, view, rejected });
}

/** Waits until no frame has arrived for `quietMs` (the screen settled and everything was sent). */
async function settled(view: TechnicianView, quietMs = 300): Promise<void> {
  let count = -1;
  for (let i = 0; i < 50 && count !== view.frames.length; i++) {
    count = view.frames.length;
    await sleep(quietMs);
  }
}

/**
 * Differences between what the technician shows and an independent capture of the same area, retried for a
 * few seconds: on a loaded machine the last frame (or the application's own drawing) may still be on its way.
 */
async function differencesFromScreen(picture: () => Buffer, x0 = 0, y0 = 0, w = W, h = H): Promise<number[]> {
  let diff: number[] = [];
  for (let i = 0; i < 20; i++) {
    diff = pixelDifferences(picture(), await x.capture(x0, y0, w, h));
    if (diff.length === 0) break;
    await sleep(250);
  }
  return diff;
}

const type = (tech: SessionConnection, text: string) => {
  // Split into messages of a few keys, as a technician's keyboard produces them.
  const events = typeText(text);
  for (let i = 0; i < events.length; i += 16) tech.send(0x02, encodeInput(events.slice(i, i + 16)));
};

/** Where X says a window's inside is (xwininfo, independent of our code; its corner is outside the border). */
async function insideOrigin(win: number): Promise<[number, number]> {
  const info = await promisify(execFile)('xwininfo', ['-id', String(win)], { env: { ...process.env, DISPLAY: x.display } });
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(-?\\d+)`).exec(info.stdout)![1]);
  return [field('Absolute upper-left X') + field('Border width'), field('Absolute upper-left Y') + field('Border width')];
}

async function xtermWindow(): Promise<number> {
  return Number((await x.xdotool('search', '--name', '^work$')).split('\n')[0]);
}

describe('customer agent on X11 (Xvfb, xterm, a real gateway, the SDK as technician)', () => {
  it('the technician decodes the screen pixel-exact, types a shell command, and loses input the moment control is revoked', async () => {
    const { agent, tech, view, rejected } = await pair({ kind: 'screen' }, ['view', 'control']);
    await eventually(() => view.frames.length > 0, 5000);
    expect(view.frames[0]!.keyframe).toBe(true);

    // The pointer travels on the cursor channel (never in the frames): its shape, then where it is.
    tech.send(0x02, encodeInput([{ type: 'move', x: 123, y: 45 }]));
    expect(await eventually(() => view.cursor.some((c) => c.type === 'position' && c.x === 123 && c.y === 45 && c.visible))).toBe(true);
    const shape = view.cursor.find((c) => c.type === 'shape');
    expect(shape).toMatchObject({ type: 'shape' });
    expect((shape as { width: number }).width).toBeGreaterThan(0);

    // Typed through the SDK as keysyms: the shell runs it (">" needs Shift on the customer's keymap).
    const marker = join(dir, 'typed');
    await x.xdotool('mousemove', '100', '100');
    type(tech, `touch ${marker}\n`);
    expect(await eventually(() => existsSync(marker), 10_000)).toBe(true);
    // "€" is on no key of the customer's (US) keymap: the agent maps it onto a spare keycode for the keystroke.
    type(tech, `touch ${marker}-€\n`);
    expect(await eventually(() => existsSync(`${marker}-€`), 10_000)).toBe(true);

    await settled(view);
    expect(view.problems).toEqual([]);
    expect(await differencesFromScreen(() => view.picture())).toEqual([]);

    // Take control back: the agent drops input at once, even input that reaches it without the gateway.
    agent.revoke('control');
    type(tech, `touch ${marker}-after\n`);
    const applied = agent.input!.applied;
    expect(agent.input!.handle(encodeInput(typeText('x')))).toBe(0);
    await sleep(800);
    expect(existsSync(`${marker}-after`)).toBe(false);
    expect(agent.input!.applied).toBe(applied);
    expect(rejected.some((r) => r.code === 'E_NOT_GRANTED')).toBe(true);
    expect(agent.status().controller).toBeNull();

    agent.close();
    tech.close();
  });

  it('bad input gets a clear error and the agent keeps running; a display that is not there is refused', async () => {
    const { agent, tech, rejected } = await pair({ kind: 'screen' }, ['view', 'control']);
    const signals: Record<string, unknown>[] = [];
    tech.on('signal', (sig) => sig.data.type === 'input-rejected' && signals.push(sig.data));
    tech.send(0x02, encodeInput([{ type: 'key', keysym: 0x7ffffff0, down: true }]));
    tech.send(0x02, encodeInput([{ type: 'move', x: 60000, y: 5 }]));
    tech.send(0x02, new Uint8Array([0x99, 1, 2]));
    expect(await eventually(() => rejected.length >= 3)).toBe(true);
    expect(rejected.map((r) => r.code)).toEqual(['E_X11_KEYSYM', 'E_X11_COORDINATES', 'E_INPUT_MALFORMED']);
    // The technician is told why (one signal per code).
    expect(await eventually(() => signals.length === 3)).toBe(true);
    expect(signals.map((d) => d.code)).toEqual(['E_X11_KEYSYM', 'E_X11_COORDINATES', 'E_INPUT_MALFORMED']);
    // Still running: input after the bad ones works.
    const marker = join(dir, 'after-bad-input');
    await x.xdotool('mousemove', '100', '100');
    type(tech, `touch ${marker}\n`);
    expect(await eventually(() => existsSync(marker), 10_000)).toBe(true);
    agent.close();
    tech.close();

    expect(() => openDesktop(':4093', { kind: 'screen' })).toThrow(expect.objectContaining({ code: 'E_X11_OPEN' }));
    expect(() => openDesktop(x.display, { kind: 'monitor', index: 3 })).toThrow(expect.objectContaining({ code: 'E_X11_MONITOR' }));
    expect(() => openDesktop(x.display, parseWindowArg('no such window'))).toThrow(expect.objectContaining({ code: 'E_X11_WINDOW' }));
    expect(() => openDesktop(x.display, parseWindowArg('0x7fffff'))).toThrow(expect.objectContaining({ code: 'E_X11_WINDOW' }));
    const byName = openDesktop(x.display, parseWindowArg('work'));
    expect(byName.label).toBe('the window "work" only');
    byName.desktop.close();
    const cli = await promisify(execFile)('npx', ['tsx', 'clients/agent/agent.ts', '--pin', '123456789', '--display', ':4093']).catch((e) => e as { code: number; stderr: string });
    expect(cli).toMatchObject({ code: 1 });
    expect((cli as { stderr: string }).stderr).toContain('E_X11_OPEN');
  });

  it('the X server going away mid-session stops the picture, not the agent: the session and chat go on', async () => {
    const x2 = await startXServer(320, 240);
    const tc = gw.client();
    await tc.login('tess', password);
    const s = await tc.createSession();
    const customer = await gw.client().joinSession({ pin: s.pin }, 'Pat');
    const { desktop, kind, label } = openDesktop(x2.display, { kind: 'screen' });
    const agent = new CustomerAgent(customer, desktop, { kind, label, allow: ['view', 'control'] });
    const notices: string[] = [];
    agent.on('notice', (n) => notices.push(n));
    const rejected: string[] = [];
    agent.on('inputRejected', (r) => rejected.push(r.code));
    const tech = await tc.pickUp(s.guid);
    const view = new TechnicianView(tech);
    expect(await eventually(() => view.frames.length > 0, 5000)).toBe(true);
    await x2.stop(); // Xlib's default would exit() this whole process here
    expect(await eventually(() => notices.some((n) => n.includes('E_X11_CLOSED')), 5000)).toBe(true);
    tech.send(0x02, encodeInput([{ type: 'move', x: 1, y: 1 }]));
    expect(await eventually(() => rejected.includes('E_X11_CLOSED'))).toBe(true);
    const chat = new Promise<string>((r) => tech.on('chat', (c) => r(c.text)));
    agent.chat('still here');
    expect(await chat).toBe('still here');
    agent.close();
    tech.close();
  });

  it('a window-only share shows no pixel of an overlapping window and follows the window as it moves and resizes', async () => {
    const win = await xtermWindow();
    const { agent, tech, view } = await pair({ kind: 'window', id: win }, ['view']);
    // A magenta window over part of the shared one (started later, so stacked above it).
    x.client('xterm', ['-T', 'cover', '-geometry', '10x4+200+60', '-b', '0', '-bg', '#ff00ff', '-fg', '#ff00ff', '-cr', '#ff00ff']);
    expect(await eventually(async () => (await x.xdotool('search', '--name', '^cover$').catch(() => '')) !== '', 10_000)).toBe(true);
    await settled(view);
    const magenta = (pic: Buffer) => {
      for (let i = 0; i < pic.length; i += 4) if (pic[i] === 0xff && pic[i + 1] === 0x00 && pic[i + 2] === 0xff) return true;
      return false;
    };
    expect(magenta(await x.capture(0, 0, W, H))).toBe(true); // it is on screen…
    expect(magenta(view.picture())).toBe(false); // …but never in the share

    // Move the shared window: the share follows, and what is not covered matches the screen there.
    await x.xdotool('windowmove', String(win), '300', '250');
    await settled(view);
    const geo = agent.stream!;
    expect([view.width, view.height]).toEqual([geo.width, geo.height]);
    const [left, top] = await insideOrigin(win);
    expect(left).toBeGreaterThanOrEqual(300);
    const visibleW = Math.min(geo.width, W - left);
    const visibleH = Math.min(geo.height, H - top);
    const there = await x.capture(left, top, visibleW, visibleH);
    const pic = view.picture();
    // Compare the on-screen part row by row (the rest of the window is off screen, hence masked).
    for (let y = 0; y < visibleH; y += 7) {
      const a = pic.subarray(y * geo.width * 4, (y * geo.width + visibleW) * 4);
      const b = there.subarray(y * visibleW * 4, (y + 1) * visibleW * 4);
      expect(pixelDifferences(a, b)).toEqual([]);
    }
    expect(magenta(pic)).toBe(false);

    // Resize it: the technician gets a picture of the new size.
    await x.xdotool('windowmove', String(win), '20', '20');
    await x.xdotool('windowsize', String(win), '300', '200');
    expect(await eventually(() => view.width === 300 && view.height === 200, 5000)).toBe(true);
    expect(view.problems).toEqual([]);
    agent.close();
    tech.close();
  });

  it('pointer, buttons and wheel land where the technician points, in coordinates of the shared window', async () => {
    // xev prints every pointer event it gets, with window-relative coordinates.
    const xev = x.client('xev', ['-geometry', '200x150+330+260', '-name', 'probe', '-event', 'mouse', '-event', 'button'], {}, true);
    let out = '';
    xev.stdout!.on('data', (b) => (out += b));
    expect(await eventually(async () => (await x.xdotool('search', '--name', '^probe$').catch(() => '')) !== '', 10_000)).toBe(true);
    const win = Number((await x.xdotool('search', '--name', '^probe$')).split('\n')[0]);
    const { agent, tech, rejected } = await pair({ kind: 'window', id: win }, ['view', 'control']);
    tech.send(0x02, encodeInput([{ type: 'move', x: 10, y: 20 }, { type: 'button', button: 3, down: true }, { type: 'button', button: 3, down: false }, { type: 'wheel', dx: -1, dy: 2 }]));
    const presses = () => [...out.matchAll(/ButtonPress event[^]*?\((-?\d+),(-?\d+)\)[^]*?button (\d+)/g)].map((m) => `${m[3]}@${m[1]},${m[2]}`);
    expect(await eventually(() => presses().length >= 4, 5000)).toBe(true);
    expect(presses()).toEqual(['3@10,20', '5@10,20', '5@10,20', '6@10,20']);
    expect(out).toMatch(/ButtonRelease event[^]*?button 3/);
    // Outside the shared window: refused, and the pointer stays where it was.
    tech.send(0x02, encodeInput([{ type: 'move', x: 250, y: 20 }]));
    expect(await eventually(() => rejected.some((r) => r.code === 'E_X11_COORDINATES'))).toBe(true);
    const at = await x.xdotool('getmouselocation', '--shell');
    const [left, top] = await insideOrigin(win);
    expect(at).toContain(`X=${left + 10}`);
    expect(at).toContain(`Y=${top + 20}`);
    agent.close();
    tech.close();
    xev.kill();
  });

  it('a second technician who attends gets a repair keyframe at once; the customer sees who watches and who controls', async () => {
    const { agent, tech, view } = await pair({ kind: 'screen' }, ['view', 'control']);
    await settled(view);
    const tc2 = gw.client();
    await tc2.login('theo', theoPassword);
    const repairsBefore = view.frames.filter((f) => f.repair).length;
    const second = await tc2.attend(tech.guid);
    const view2 = new TechnicianView(second);
    // The gateway asks the agent for a resync; its answer is the frame last sent, as a repair keyframe.
    expect(await eventually(() => view2.frames.length > 0, 5000)).toBe(true);
    expect(view2.frames[0]).toMatchObject({ keyframe: true, repair: true, frame: agent.stream!.lastFrame });
    expect(pixelDifferences(view2.picture(), view.picture())).toEqual([]);
    expect(view.frames.filter((f) => f.repair).length).toBeGreaterThanOrEqual(repairsBefore);
    expect(await eventually(() => agent.status().watchers.length === 2)).toBe(true);
    expect(agent.status().watchers.sort()).toEqual(['Tech tess', 'Tech theo']);
    expect(agent.status().controller).toBe('Tech tess');
    // Control passes to the second technician: the customer's status says so.
    tech.pass(second.you);
    expect(await eventually(() => agent.status().controller === 'Tech theo')).toBe(true);
    expect(view.problems).toEqual([]);
    expect(view2.problems).toEqual([]);
    agent.close();
    tech.close();
    second.close();
  });

  it('one monitor of several (XRandR): only its part of the screen, pixel-exact', async () => {
    // Two monitors side by side on the one Xvfb screen, defined as an Xorg setup with two outputs would.
    const xrandr = (...a: string[]) => promisify(execFile)('xrandr', a, { env: { ...process.env, DISPLAY: x.display } });
    await xrandr('--setmonitor', 'left', `${W / 2}/100x${H}/100+0+0`, 'none');
    await xrandr('--setmonitor', 'right', `${W / 2}/100x${H}/100+${W / 2}+0`, 'none');
    // Something to see on the right monitor (and across the boundary, so a wrong offset shows).
    x.client('xterm', ['-T', 'right', '-geometry', '30x6+280+100', '-b', '0']);
    expect(await eventually(async () => (await x.xdotool('search', '--name', '^right$').catch(() => '')) !== '', 10_000)).toBe(true);
    try {
      const { agent, tech, view } = await pair({ kind: 'monitor', index: 1 }, ['view']);
      expect(agent.status().sharing.label).toBe(`monitor 1 "right" (${W / 2}x${H})`);
      await settled(view);
      expect([view.width, view.height]).toEqual([W / 2, H]);
      const right = await x.capture(W / 2, 0, W / 2, H);
      expect(right.some((b, i) => i % 4 !== 3 && b !== 0)).toBe(true); // not an empty black half
      expect(await differencesFromScreen(() => view.picture(), W / 2, 0, W / 2, H)).toEqual([]);
      agent.close();
      tech.close();
    } finally {
      await xrandr('--delmonitor', 'left').catch(() => {});
      await xrandr('--delmonitor', 'right').catch(() => {});
    }
  });

  it('clipboard text goes both ways only under the clipboard grant; system information only after consent', async () => {
    // No `view`: the clipboard is its own power and works without sharing the screen.
    const p = await pair({ kind: 'screen' }, []);
    const { agent, tech } = p;
    const atTech = { clipboard: [] as string[], sysinfo: [] as Record<string, unknown>[] };
    tech.on('clipboard', (c) => atTech.clipboard.push(c.text));
    tech.on('sysinfo', (i) => atTech.sysinfo.push(i));
    // Another application on the customer's desktop, with its own X connection, where the customer copies and pastes.
    const other = openDesktop(x.display, { kind: 'screen' }).desktop;
    const otherClipboard = async () => {
      for (let i = 0; i < 50; i++) {
        const c = other.poll().clipboard;
        if (c !== null) return c;
        await sleep(20);
      }
      return null;
    };
    try {
      // Before the grant: the agent itself ignores clipboard text, whichever path it came by.
      agent.receiveControl({ type: 'clipboard', text: 'not granted yet' });
      other.setClipboard('customer copied this');
      for (let i = 0; i < 15; i++) (other.poll(), await sleep(20));
      expect(atTech.clipboard).toEqual([]);

      tech.request('clipboard');
      expect(await eventually(() => agent.consent.has('clipboard'))).toBe(true);
      await eventually(() => tech.grants.includes('clipboard'));
      tech.clipboard('pasted by the technician ✓');
      expect(await otherClipboard()).toBe('pasted by the technician ✓');
      other.setClipboard('copied by the customer');
      // The other application answers the agent's request for its text from its own event loop (its poll).
      expect(await eventually(() => (other.poll(), atTech.clipboard.includes('copied by the customer')))).toBe(true);

      // sysinfo, "ask each time": one answer, one report, then it needs asking again.
      p.answer = 'once';
      tech.request('sysinfo');
      expect(await eventually(() => atTech.sysinfo.length === 1, 5000)).toBe(true);
      const info = atTech.sysinfo[0] as { os: { platform: string }; processes: { byCpu: unknown[] } };
      expect(info.os.platform).toBe('linux');
      expect(info.processes.byCpu.length).toBeGreaterThan(0);
      expect(agent.consent.has('sysinfo')).toBe(false);
      p.answer = 'refuse';
      tech.request('sysinfo');
      await sleep(500);
      expect(atTech.sysinfo).toHaveLength(1);
    } finally {
      other.close();
      agent.close();
      tech.close();
    }
  });

  it('the CLI: prompts show who asks and take the answer from the terminal; without a display it still joins to chat', async () => {
    const tc = gw.client();
    await tc.login('tess', password);
    const s = await tc.createSession();
    const caFile = join(dir, 'ca.crt');
    writeFileSync(caFile, gw.gateway.caPem!);
    const cli = spawn('npx', ['tsx', 'clients/agent/agent.ts', '--pin', s.pin, '--name', 'Pat', '--gateway', gw.baseUrl, '--ca', caFile, '--display', x.display], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    cli.stdout.on('data', (b) => (out += b));
    try {
      expect(await eventually(() => out.includes('joined; waiting'), 15_000)).toBe(true);
      const tech = await tc.pickUp(s.guid);
      const view = new TechnicianView(tech);
      tech.request('view');
      expect(await eventually(() => /request 1: Tech tess asks for "view"/.test(out), 5000)).toBe(true);
      expect(view.frames).toHaveLength(0);
      cli.stdin.write('/allow 1\n');
      expect(await eventually(() => view.frames.length > 0, 5000)).toBe(true);
      expect(out).toMatch(/sharing the whole screen \(640x480\): live \| watching: Tech tess \| control: nobody \| granted: view/);
      cli.stdin.write('/end\n');
      expect((await tech.closedPromise()).code).toBe(1000);
      expect(await eventually(() => cli.exitCode === 0, 5000)).toBe(true);
    } finally {
      cli.kill();
    }

    // No X display at all (DISPLAY unset, none asked for): chat only.
    const s2 = await tc.createSession();
    const env = { ...process.env };
    delete env.DISPLAY;
    const chatOnly = spawn('npx', ['tsx', 'clients/agent/agent.ts', '--pin', s2.pin, '--gateway', gw.baseUrl, '--ca', caFile], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let out2 = '';
    chatOnly.stdout.on('data', (b) => (out2 += b));
    try {
      expect(await eventually(() => out2.includes('joined; waiting'), 15_000)).toBe(true);
      expect(out2).toContain('chat only, nothing can be shared');
    } finally {
      chatOnly.kill();
    }
  });

  it('under backpressure nothing queues: the frame sent when the connection drains is the newest picture', async () => {
    const { desktop } = openDesktop(x.display, { kind: 'screen' });
    // The connection's side of the contract: how much it still holds unsent, and the frames written to it.
    const sink = { bufferedAmount: 0, sent: [] as Uint8Array[], sendRaw(b: Uint8Array) { if (b[0] === 0x01) this.sent.push(b); } };
    const stream = new ScreenStream(desktop, sink, { maxBufferedBytes: 1000 });
    const tech = new (loadNative().Decoder)(W, H);
    const apply = () => sink.sent.splice(0).forEach((b) => tech.decode(b.subarray(10)));
    try {
      stream.start();
      expect(await eventually(() => sink.sent.length > 0)).toBe(true);
      await sleep(300);
      apply();
      sink.bufferedAmount = 10_000; // the network is slow
      // Real typing into the xterm (XTest, focus follows the pointer: no window manager).
      await x.xdotool('mousemove', '100', '100');
      for (const word of ['one ', 'two ', 'three ']) {
        await x.xdotool('type', word);
        await sleep(100);
      }
      expect(sink.sent).toHaveLength(0);
      sink.bufferedAmount = 0;
      expect(await eventually(() => sink.sent.length > 0)).toBe(true);
      await sleep(300);
      expect(sink.sent.length).toBeLessThanOrEqual(2); // the newest picture, not one frame per change held back
      apply();
      expect(pixelDifferences(tech.frame(), await x.capture(0, 0, W, H))).toEqual([]);
    } finally {
      stream.close();
      desktop.close();
    }
  });

  it('pause freezes the picture (not black) and sends nothing; resume goes live; ending stops everything', async () => {
    const { agent, tech, view } = await pair({ kind: 'screen' }, ['view', 'control']);
    await settled(view);
    const shares: string[] = [];
    tech.on('share', (sh) => shares.push(sh.state));
    agent.pause();
    expect(await eventually(() => shares.at(-1) === 'paused')).toBe(true);
    const frozen = view.picture();
    const count = view.frames.length;
    // The customer keeps working while paused (real typing into the xterm: the screen does change).
    const screenBefore = await x.capture(0, 0, W, H);
    await x.xdotool('mousemove', '100', '100');
    await x.xdotool('type', 'echo paused');
    await sleep(600);
    expect(pixelDifferences(await x.capture(0, 0, W, H), screenBefore).length).toBeGreaterThan(0);
    expect(view.frames.length).toBe(count);
    expect(frozen.some((b, i) => i % 4 !== 3 && b !== 0)).toBe(true);
    expect(agent.status().sharing.state).toBe('paused');

    agent.resume();
    expect(await eventually(() => shares.at(-1) === 'live')).toBe(true);
    await eventually(() => view.frames.length > count, 5000);
    await settled(view);
    expect(await differencesFromScreen(() => view.picture())).toEqual([]);

    const closed = tech.closedPromise();
    const ended = new Promise<string>((r) => agent.on('ended', r));
    agent.end();
    expect(await ended).toBe('customer_ended');
    expect((await closed).code).toBe(1000);
    expect(agent.consent.list()).toEqual([]);
    expect(agent.status()).toMatchObject({ session: 'closed', watchers: [], controller: null, sharing: { state: 'off' } });
    expect(agent.input!.handle(encodeInput([{ type: 'move', x: 1, y: 1 }]))).toBe(0);
    agent.close();
  });
});
