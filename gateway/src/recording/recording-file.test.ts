import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeScreenFrame } from '../../../protocol/screen-header.js';
import { runRecordingCommand } from '../admin/recording-command.js';
import { codec } from '../screen/screen-test-kit.test-helper.js';
import { RecorderSocket } from './recorder-socket.js';
import { RecordingFile } from './recording-file.js';
import { parseRecords } from './recording-format.js';
import { pictureAt, readRecording } from './recording-reader.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relaydesk-recording-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const W = 48;
const H = 32;
const guid = 'ab'.repeat(16);

/** Frame i: a gradient with an i-th block changed, so each frame after the first is a real delta. */
function picture(i: number): Buffer {
  const p = Buffer.alloc(W * H * 4);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) p.writeUInt32LE(((x * 5) | ((y * 7) << 8) | (((x + y + i * 40) & 0xff) << 16) | 0xff000000) >>> 0, (y * W + x) * 4);
  return p;
}

/** Writes a recording as the gateway does: the socket the session core writes to, over a RecordingFile. */
async function record(path: string, frames: number, after?: Promise<void>) {
  const errors: Error[] = [];
  const file = new RecordingFile(path, (e) => errors.push(e), after);
  let t = 1_000_000;
  let consumed = 0;
  let ended: unknown;
  const socket = new RecorderSocket(file, t, () => t, (n) => (consumed += n), (_s, stop) => (ended = stop));
  socket.start({ format: 1, guid, orgId: 'acme', gateway: 'gw-1', startedAt: t, mode: 'always', recorder: 's1' });
  const encoder = new codec.Encoder(W, H);
  socket.send(JSON.stringify({ v: 1, type: 'chat', from: 'customer', fromId: 'c1', name: 'Pat', text: 'hi', at: t }), false);
  socket.send(JSON.stringify({ v: 1, type: 'clipboard', text: 'hunter2', from: 'c1' }), false);
  for (let i = 1; i <= frames; i++) {
    t += 40;
    socket.send(encodeScreenFrame({ keyframe: i === 1, repair: false, frame: i, base: i === 1 ? 0 : i - 1 }, encoder.encode(picture(i))), true);
  }
  socket.send(new Uint8Array([0x03, 1, 2, 3, 4]), true); // a file chunk: credited back, not kept
  socket.end(1000, 'recording stopped');
  const closed = file.close();
  await closed;
  return { errors, consumed, ended, file, closed };
}

describe('a recording file, written as the recorder does and read back', () => {
  it('keeps control messages (clipboard text left out) and screen frames; the last picture decodes pixel-exact', async () => {
    const path = join(dir, `${guid}.rdrec`);
    const { errors, consumed, ended, file } = await record(path, 6);
    expect(errors).toEqual([]);
    expect(file.queuedBytes).toBe(0); // everything queued (the file header too) was written
    expect(consumed).toBe(4);
    expect(ended).toMatchObject({ reason: 'stopped' });
    const bytes = await readFile(path);
    const rec = readRecording(bytes);
    expect(rec.entries.map((e) => e.kind)).toEqual(['start', 'control', 'control', ...Array(6).fill('binary'), 'stop']);
    expect(rec.entries[2]!.json).toEqual({ v: 1, type: 'clipboard', from: 'c1', chars: 7 });
    expect(bytes.includes('hunter2')).toBe(false);
    expect(rec.entries[8]).toMatchObject({ at: 1_000_240, screen: { frame: 6, base: 5, keyframe: false } });
    expect(Buffer.from(pictureAt(bytes)!.bgra).equals(picture(6))).toBe(true);
    expect(Buffer.from(pictureAt(bytes, 3)!.bgra).equals(picture(3))).toBe(true);
    expect(pictureAt(bytes, 9)).toBeNull();

    // Recorded again (stopped and started): a second segment in the same file, with its own keyframe.
    // Started while the first is still closing, it waits for it: segments never interleave.
    const first = record(path, 1);
    await record(path, 2, first.then((r) => r.closed));
    const two = readRecording(await readFile(path));
    expect(two.segments).toHaveLength(3);
    expect(two.entries.map((e) => e.segment)).toEqual([...two.entries].map((e) => e.segment).sort());
    expect(pictureAt(await readFile(path))).toMatchObject({ frame: 2, segment: 2 });
  });

  it('a file cut short keeps every whole record and says where it stops; another file is refused clearly', async () => {
    const path = join(dir, 'cut.rdrec');
    await record(path, 3);
    const whole = await readFile(path);
    const cut = whole.subarray(0, whole.byteLength - 5);
    const rec = readRecording(cut);
    expect(rec.truncatedAt).toBe(parseRecords(whole).records.at(-1)!.offset); // where the stop record began
    expect(rec.entries.at(-1)?.kind).toBe('binary');
    expect(() => readRecording(Buffer.from('GIF89a...'))).toThrow(/not a relaydesk recording/);
    // A file just created (its header not on disk yet) is an empty recording.
    expect(readRecording(Buffer.alloc(0))).toEqual({ segments: [], entries: [], truncatedAt: 0 });
  });

  it('a folder it cannot create: one clear error, and nothing is queued after it', async () => {
    const plain = join(dir, 'plain');
    await writeFile(plain, 'x');
    const errors: Error[] = [];
    const file = new RecordingFile(join(plain, 'sub', 'x.rdrec'), (e) => errors.push(e));
    expect(file.append(Buffer.alloc(100))).toBe(true);
    await file.close();
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['ENOTDIR']);
    expect(file.append(Buffer.alloc(100))).toBe(false);
    expect(file.queuedBytes).toBe(0);
  });
});

describe('relaydesk-admin recording', () => {
  it('lists recordings, prints their events and exports a frame a real PNG decoder reads back pixel-exact', async () => {
    const recDir = join(dir, 'cli');
    await record(join(recDir, `${guid}.rdrec`), 4);
    const lines: string[] = [];
    const out = (l: string) => lines.push(l);
    expect(await runRecordingCommand(['list'], { dir: recDir, out })).toBe(0);
    expect(lines.join('\n')).toMatch(new RegExp(`${guid}\\s+\\S+ \\S+\\s+0\\.2 s\\s+1\\s+4`));
    lines.length = 0;
    expect(await runRecordingCommand(['events', guid], { dir: recDir, out })).toBe(0);
    expect(lines).toContainEqual(expect.stringContaining('chat c1 Pat: "hi"'));
    expect(lines).toContainEqual(expect.stringContaining('screen frame 4 delta on 3'));
    expect(lines.at(-1)).toContain('stop: stopped');

    const png = join(dir, 'frame2.png');
    lines.length = 0;
    expect(await runRecordingCommand(['frame', guid, '--frame', '2', '--out', png], { dir: recDir, out })).toBe(0);
    expect(lines[0]).toContain(`wrote frame 2 (${W}×${H}`);
    const decoded = spawnSync('ffmpeg', ['-v', 'error', '-i', png, '-f', 'rawvideo', '-pix_fmt', 'bgra', '-'], { maxBuffer: 1 << 20 });
    expect(decoded.status).toBe(0);
    // PNG keeps RGB; the screen's alpha byte is padding (0xff here, as ffmpeg fills it).
    expect(decoded.stdout.equals(picture(2))).toBe(true);

    const ppm = join(dir, 'last.ppm');
    expect(await runRecordingCommand(['frame', guid, '--out', ppm], { dir: recDir, out })).toBe(0);
    const ppmBytes = await readFile(ppm);
    expect(ppmBytes.subarray(0, 13).toString()).toBe(`P6\n${W} ${H}\n255\n`);
    expect(ppmBytes.byteLength).toBe(13 + W * H * 3);

    lines.length = 0;
    expect(await runRecordingCommand(['frame', guid, '--frame', '9', '--out', png], { dir: recDir, out })).toBe(1);
    expect(lines[0]).toBe('error: frame 9 is not in the recording (it has frames 1 to 4)');
    expect(await runRecordingCommand(['frame', guid], { dir: recDir, out })).toBe(2);
    expect(await runRecordingCommand(['events', 'cd'.repeat(16)], { dir: recDir, out })).toBe(1);
    expect(await runRecordingCommand(['--help'], { dir: recDir, out })).toBe(0);
  });
});
