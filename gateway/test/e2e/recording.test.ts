import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RelaydeskClient, SessionConnection } from '../../../clients/sdk/src/node.js';
import { ScreenSender } from '../../../clients/sdk/src/screen/screen-sender.js';
import { channels } from '../../../protocol/channels.js';
import { encodeCursor } from '../../../protocol/cursor-events.js';
import { runRecordingCommand } from '../../src/admin/recording-command.js';
import { readRecording, pictureAt } from '../../src/recording/recording-reader.js';
import { codec, loadClip, type Clip } from '../../src/screen/screen-test-kit.test-helper.js';
import { startTestGateway, type TestGateway } from '../gateway-harness.js';
import { identityStores, loginToken, useIdentityGateway } from '../identity/identity-fixture.js';
import { eventually, nextEvent, sleep } from './events.js';
import { rawSocket } from './raw-socket.js';

let clip: Clip;

const g = useIdentityGateway(async ({ stores, pw }) => {
  // Written before the gateway first reads the stores (it rereads the files at most once a second).
  pw.always = await stores.addAccount('always', 'rec-always', 'technician');
  pw.colleague = await stores.addAccount('colleague', 'rec-always', 'technician');
  pw.asks = await stores.addAccount('asks', 'rec-request', 'technician');
  pw.never = await stores.addAccount('never', 'rec-default', 'technician');
  pw.night = await stores.addAccount('night', 'unattended-ok', 'technician');
  pw.day = await stores.addAccount('day', 'unattended-ok', 'technician', 'front-desk');
  await stores.org('rec-always', (o) => void (o.policy = { recording: 'always' }));
  await stores.org('rec-request', (o) => void (o.policy = { recording: 'on-request' }));
  await stores.org('unattended-ok', (o) => {
    o.policy = { unattendedAccess: true };
    o.teams = [{ id: 'front-desk', name: 'Front desk' }];
    o.teamPolicies = { 'front-desk': { unattendedAccess: false } }; // a team stricter than its organisation
  });
  clip = loadClip('desk-drag');
});
const { pw } = g;

async function loggedIn(gw: TestGateway, name: string): Promise<RelaydeskClient> {
  const c = gw.client();
  await c.login(name, pw[name]!);
  return c;
}

/** A customer and the technician `name` in one active session of `gw`. */
async function paired(gw: TestGateway, name: string) {
  const techClient = await loggedIn(gw, name);
  const s = await techClient.createSession();
  const customer = await gw.client().joinSession({ pin: s.pin }, 'Pat');
  const tech = await techClient.pickUp(s.guid);
  await customer.waitFor('active');
  return { guid: s.guid, customer, tech };
}

/** The customer's agent: the native encoder behind the SDK's ScreenSender, answering the gateway's resync. */
function screenOf(customer: SessionConnection) {
  const encoder = new codec.Encoder(clip.width, clip.height);
  const sender = new ScreenSender<Buffer>({ encode: (f, o) => encoder.encode(f, o), hasRoom: () => true, send: (b) => customer.sendRaw(b) });
  customer.on('resync', () => sender.resync());
  return sender;
}

/** The next `recording` message of a given state (others, e.g. one still in flight, are passed over). */
function recordingState(c: SessionConnection, state: string) {
  return new Promise<Record<string, unknown>>((resolve) => {
    const off = c.on('recording', (e) => {
      if (e.state !== state) return;
      off();
      resolve(e);
    });
  });
}

const recorderIn = (c: SessionConnection) => c.participants.find((p) => p.role === 'system');

describe('recording, as the organisation’s policy says', () => {
  it('always: the recorder joins at pickup (the customer sees it), records chat and the screen pixel-exact, keeps the session on the relay', async () => {
    const { guid, customer, tech } = await paired(g.t, 'always');
    const file = join(g.t.dataDir, 'recordings', `${guid}.rdrec`);
    expect(await eventually(() => recorderIn(customer)?.name === 'recorder' && customer.recording)).toBe(true);
    expect(customer.policy?.recording).toBe('always');
    expect(tech.recording).toBe(true);
    // A colleague who attends later is told too, not only shown the recorder in the list.
    const colleague = await (await loggedIn(g.t, 'colleague')).attend(guid);
    expect(await eventually(() => colleague.recording && recorderIn(colleague) !== undefined)).toBe(true);
    colleague.leave();

    // A direct path would carry the picture past the recorder: path signals are refused while it records.
    const noPath = nextEvent(tech, 'error');
    tech.signal({ topic: 'path', step: 'hello', fingerprint: 'a'.repeat(64), tcp: [], udp: false });
    expect(await noPath).toMatchObject({ code: 'E_FORBIDDEN' });
    // Under `always` nobody stops it but the end of the session.
    const noStop = nextEvent(tech, 'error');
    tech.recordingAction('stop');
    expect(await noStop).toMatchObject({ code: 'E_FORBIDDEN' });

    const asked = nextEvent(customer, 'request');
    tech.request('view');
    await asked;
    customer.grant('view');
    await eventually(() => tech.grants.includes('view'));
    const screen = screenOf(customer);
    const frames = 12;
    for (let i = 0; i < frames; i++) {
      screen.offer(clip.frameAt(i));
      await sleep(25);
    }
    customer.send(channels.cursor.id, encodeCursor({ type: 'position', x: 321, y: 123, visible: true }));
    customer.chat('hello from the customer');
    // A file offer (refused): the recording keeps its metadata, never its bytes.
    customer.grant('files');
    await eventually(() => tech.grants.includes('files'));
    const offered = nextEvent(tech, 'file');
    customer.fileControl({ type: 'file-offer', id: 7, name: 'report.pdf', size: 1234 });
    expect(await offered).toMatchObject({ type: 'file-offer', id: 7 });
    tech.fileControl({ type: 'file-cancel', id: 7 });
    const truth = clip.frameAt(frames - 1);
    expect(truth.equals(clip.frameAt(0))).toBe(false); // the picture moves: the deltas matter
    // The file is written as the session goes: its last picture must become exactly what the customer sent last.
    expect(await eventually(async () => Buffer.from(pictureAt(await readFile(file))?.bgra ?? []).equals(truth), 8000)).toBe(true);
    tech.end();
    await customer.waitFor('closed');
    expect(await eventually(async () => readRecording(await readFile(file)).entries.at(-1)?.kind === 'stop', 5000)).toBe(true);

    const rec = readRecording(await readFile(file));
    expect(rec.truncatedAt).toBeNull();
    expect(rec.segments).toEqual([expect.objectContaining({ guid, mode: 'always', recorder: recorderIn(tech)?.id ?? 's1' })]);
    const controls = rec.entries.filter((e) => e.kind === 'control').map((e) => e.json!);
    expect(controls).toContainEqual(expect.objectContaining({ type: 'chat', text: 'hello from the customer', name: 'Pat' }));
    expect(controls).toContainEqual(expect.objectContaining({ type: 'grants', powers: ['view'] }));
    expect(controls).toContainEqual(expect.objectContaining({ type: 'request', power: 'view', from: tech.you }));
    expect(controls).toContainEqual(expect.objectContaining({ type: 'file-offer', id: 7, name: 'report.pdf', size: 1234, from: 'c1' }));
    expect(controls).toContainEqual(expect.objectContaining({ type: 'file-cancel', id: 7, reason: 'refused', from: tech.you }));
    // The cursor as viewers got it (channel byte, then its payload).
    const cursor = rec.entries.find((e) => e.channel === channels.cursor.id);
    expect(cursor).toMatchObject({ bytes: 7, cursor: { type: 'position', x: 321, y: 123, visible: true } });
    const firstScreen = rec.entries.find((e) => e.screen);
    expect(firstScreen?.screen?.keyframe).toBe(true); // a recording starts from a keyframe
    const last = pictureAt(await readFile(file))!;
    expect([last.width, last.height, last.frame]).toEqual([clip.width, clip.height, frames]);
    expect(Buffer.from(last.bgra).equals(truth)).toBe(true);
    expect(rec.entries.at(-1)?.json).toMatchObject({ reason: 'session_ended', message: 'technician_ended' });
    // What a person checking it reads (the admin CLI's `recording events`).
    const lines: string[] = [];
    expect(await runRecordingCommand(['events', guid], { dir: join(g.t.dataDir, 'recordings'), out: (l) => lines.push(l) })).toBe(0);
    if (process.env.SHOW_RECORDING) console.log(lines.join('\n'));
    expect(lines).toContainEqual(expect.stringContaining('cursor at 321,123'));
    expect(lines).toContainEqual(expect.stringMatching(/participants: c1 customer "Pat", t1 technician "\S+", s1 system "recorder"; control: t1/));
  });

  it('on-request: the controlling technician asks, the customer consents (recorder joins) or refuses (nothing records)', async () => {
    const { guid, customer, tech } = await paired(g.t, 'asks');
    expect(recorderIn(customer)).toBeUndefined();
    // The screen is live before anyone asks: the recorder comes in late, like a viewer who joins late.
    customer.grant('view');
    await eventually(() => tech.grants.includes('view'));
    const screen = screenOf(customer);
    for (let i = 0; i < 4; i++) {
      screen.offer(clip.frameAt(i));
      await sleep(25);
    }
    const asked = recordingState(customer, 'requested');
    const techToo = recordingState(tech, 'requested');
    tech.recordingAction('request');
    expect(await asked).toMatchObject({ state: 'requested', from: tech.you });
    expect(await techToo).toMatchObject({ state: 'requested' }); // both sides see it asked
    const on = recordingState(tech, 'on');
    customer.recordingAction('consent');
    expect(await on).toMatchObject({ state: 'on', from: tech.you });
    expect(await eventually(() => recorderIn(customer) !== undefined && customer.recording)).toBe(true);
    customer.chat('while recorded');
    for (let i = 4; i < 8; i++) {
      screen.offer(clip.frameAt(i));
      await sleep(25);
    }
    const file = join(g.t.dataDir, 'recordings', `${guid}.rdrec`);
    expect(await eventually(async () => Buffer.from(pictureAt(await readFile(file))?.bgra ?? []).equals(clip.frameAt(7)), 8000)).toBe(true);

    // The technician stops it; the customer is told and the recorder leaves the list.
    const off = recordingState(customer, 'off');
    tech.recordingAction('stop');
    expect(await off).toMatchObject({ state: 'off', reason: 'stopped' });
    expect(await eventually(() => recorderIn(customer) === undefined)).toBe(true);

    // Asked again, refused: the refusal stands and nothing records.
    const again = recordingState(customer, 'requested');
    const techAgain = recordingState(tech, 'requested');
    tech.recordingAction('request');
    await again;
    await techAgain;
    const refused = recordingState(tech, 'refused');
    customer.recordingAction('refuse');
    expect(await refused).toMatchObject({ state: 'refused' });
    customer.chat('not recorded');
    await sleep(100);
    expect(recorderIn(customer)).toBeUndefined();
    // The customer cannot consent to a request nobody made.
    const nothing = nextEvent(customer, 'error');
    customer.recordingAction('consent');
    expect(await nothing).toMatchObject({ code: 'E_BAD_MESSAGE' });

    const rec = readRecording(await readFile(file));
    expect(rec.segments).toEqual([expect.objectContaining({ mode: 'on-request', requestedBy: tech.you, consentedBy: 'c1' })]);
    // Its first picture is a keyframe (the agent's repair, asked for by the gateway), never a delta it cannot use.
    expect(rec.entries.find((e) => e.screen)?.screen).toMatchObject({ keyframe: true });
    const chats = rec.entries.filter((e) => e.json?.type === 'chat').map((e) => e.json!.text);
    expect(chats).toEqual(['while recorded']);
    expect(rec.entries.at(-1)).toMatchObject({ kind: 'stop', json: { reason: 'stopped' } });
    customer.end();
  });

  it('off (the default): a recording request is refused with E_FORBIDDEN, even from a hand-made client', async () => {
    const techClient = await loggedIn(g.t, 'never');
    const s = await techClient.createSession();
    const customer = await g.t.client().joinSession({ pin: s.pin }, 'Pat');
    const raw = rawSocket(g.t.baseUrl, '/v1/technician', g.t.gateway.caPem);
    await raw.opened;
    raw.ws.send(JSON.stringify({ v: 1, type: 'pickup', token: await loginToken(g.t, 'never', pw.never!), guid: s.guid }));
    await customer.waitFor('active');
    raw.ws.send(JSON.stringify({ v: 1, type: 'recording', action: 'request' }));
    expect(await eventually(() => raw.errors().length > 0)).toBe(true);
    expect(raw.errors()[0]).toMatchObject({ code: 'E_FORBIDDEN', message: expect.stringContaining('recording: off') });
    await sleep(50);
    expect(recorderIn(customer)).toBeUndefined();
    expect(raw.frames.some((f) => f.includes('"type":"recording"'))).toBe(false);
    customer.end();
    raw.ws.close();
  });
});

describe('a recordings directory the gateway cannot write', () => {
  it('ends the recording with a clear log line and notice; the session goes on', async () => {
    // A folder inside a plain file: mkdir fails (ENOTDIR) whoever runs the test, root included.
    const plain = join(await mkdtemp(join(tmpdir(), 'relaydesk-rec-')), 'plain-file');
    await writeFile(plain, 'x');
    const g = await startTestGateway({ recordingsDir: join(plain, 'recordings') });
    const st = await identityStores(g);
    try {
      pw.always2 = await st.addAccount('always2', 'rec-always', 'technician');
      await st.org('rec-always', (o) => void (o.policy = { recording: 'always' }));
      const { customer, tech } = await paired(g, 'always2');
      const off = await eventually(() => !customer.recording && recorderIn(customer) === undefined && g.logLines.some((l) => l.includes('recording.write_failed')), 5000);
      expect(off).toBe(true);
      const line = JSON.parse(g.logLines.find((l) => l.includes('recording.write_failed'))!);
      expect(line).toMatchObject({ level: 'error', code: 'ENOTDIR', file: expect.stringContaining('plain-file') });
      // Counted for the operator's alerts.
      expect(await g.gateway.metrics.registry.getSingleMetricAsString('relaydesk_recordings_stopped_total')).toMatch(/reason="failed"[^\n]* 1$/m);
      expect(await g.gateway.metrics.registry.getSingleMetricAsString('relaydesk_recordings_active')).toMatch(/ 0$/m);
      // The session goes on: chat still flows both ways.
      const heard = nextEvent(tech, 'chat');
      customer.chat('still here');
      expect(await heard).toMatchObject({ text: 'still here' });
      expect(tech.state).toBe('active');
      customer.end();
    } finally {
      await st.close();
      await g.stop();
    }
  });
});

describe('a recordings disk that stops taking data', () => {
  it('costs the recording, not memory: past the reliable cap the recorder is let go (reason slow); the session goes on', async () => {
    const g = await startTestGateway({ reliableQueueBytes: String(64 << 10), maxMessageBytes: String(64 << 10) });
    const st = await identityStores(g);
    // The session's file is a FIFO whose reader never reads: after the pipe's 64 KiB every write waits.
    let reader: ChildProcess | undefined;
    try {
      pw.stuck = await st.addAccount('stuck', 'rec-always', 'technician');
      await st.org('rec-always', (o) => void (o.policy = { recording: 'always' }));
      const techClient = await loggedIn(g, 'stuck');
      const s = await techClient.createSession();
      const fifo = join(g.dataDir, 'recordings', `${s.guid}.rdrec`);
      await mkdir(join(g.dataDir, 'recordings'), { recursive: true });
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      reader = spawn('sh', ['-c', 'exec 3<"$0"; exec sleep 30', fifo], { stdio: 'ignore' });
      const customer = await g.client().joinSession({ pin: s.pin }, 'Pat');
      const tech = await techClient.pickUp(s.guid);
      await customer.waitFor('active');
      expect(await eventually(() => customer.recording)).toBe(true);
      const off = recordingState(customer, 'off');
      const heard: string[] = [];
      tech.on('chat', (m) => heard.push(m.text));
      // Paced, so the technician's socket drains as it should; only the recorder's queue keeps growing.
      for (let i = 0; i < 60 && customer.recording; i++) {
        customer.chat(`${i} ${'x'.repeat(3000)}`);
        await sleep(15);
      }
      expect(await off).toMatchObject({ state: 'off', reason: 'slow' });
      expect(await eventually(() => recorderIn(customer) === undefined)).toBe(true);
      // The session goes on, and the technician (who reads) lost nothing.
      customer.chat('still here');
      expect(await eventually(() => heard.at(-1) === 'still here')).toBe(true);
      expect(heard.length).toBeGreaterThan(22); // 22 × 3 KB is past the 64 KiB cap: every one of them reached it
      expect(tech.state).toBe('active');
      customer.end();
      // A stuck disk does not hold a stopping gateway: it gives up on the file after 5 s and says so.
      const started = Date.now();
      await g.gateway.stop(0);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(g.logLines.some((l) => l.includes('recording.not_flushed') && l.includes(s.guid))).toBe(true);
    } finally {
      reader?.kill('SIGKILL'); // the stuck write then fails (EPIPE) and the file closes
      await st.close();
      await g.stop();
    }
  });
});

describe('unattended access', () => {
  it('is refused at the join by default (E_FORBIDDEN) and accepted where the policy allows it; the technician is told', async () => {
    const never = await loggedIn(g.t, 'never');
    const s1 = await never.createSession();
    const refused = await g.t
      .client()
      .joinSession({ pin: s1.pin }, 'Server room', { unattended: true })
      .catch((e: { code: string; message: string }) => e);
    expect(refused).toMatchObject({ code: 'E_FORBIDDEN', message: expect.stringContaining('unattended') });
    // The session was not used up: someone at the machine can still join it.
    const attended = await g.t.client().joinSession({ pin: s1.pin }, 'Pat');
    expect(attended.state).toBe('waiting');
    attended.end();

    const night = await loggedIn(g.t, 'night');
    const s2 = await night.createSession();
    const customer = await g.t.client().joinSession({ pin: s2.pin }, 'Server room', { unattended: true });
    // The technician sees it before picking up, in the waiting list (and the live queue, from the same records).
    expect(await night.listWaiting()).toEqual([expect.objectContaining({ guid: s2.guid, unattended: true })]);
    const tech = await night.pickUp(s2.guid);
    expect(tech.unattended).toBe(true);
    expect(tech.policy?.unattendedAccess).toBe(true);
    await customer.waitFor('active');
    expect(customer.unattended).toBe(false); // said to technicians, about the customer
    customer.end();
  });

  it('a team stricter than its organisation may not pick an unattended session up; the session waits for one who may', async () => {
    const night = await loggedIn(g.t, 'night');
    const s = await night.createSession();
    const customer = await g.t.client().joinSession({ pin: s.pin }, 'Server room', { unattended: true });
    const day = await loggedIn(g.t, 'day');
    const refused = await day.pickUp(s.guid).catch((e: { code: string; message: string }) => e);
    expect(refused).toMatchObject({ code: 'E_FORBIDDEN', message: expect.stringContaining("team's policy") });
    expect(customer.state).toBe('waiting');
    const tech = await night.pickUp(s.guid);
    expect(tech.unattended).toBe(true);
    await customer.waitFor('active');
    customer.end();
  });
});
