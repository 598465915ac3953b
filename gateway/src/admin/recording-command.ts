import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { channels } from '../../../protocol/channels.js';
import { encodePicture } from '../recording/picture-file.js';
import { RecordingFormatError } from '../recording/recording-format.js';
import { pictureAt, readRecording, type RecordingEntry } from '../recording/recording-reader.js';

export const recordingUsage = `usage: relaydesk-admin [gateway options] recording <command>

commands:
  list                           the recordings in recordingsDir (default <dataDir>/recordings)
  events <guid|file> [--json]    every record: time, kind, and what it says (--json: one JSON object a line)
  frame <guid|file> --out FILE [--frame N]
                                 the screen after the agent's frame N (default: the last) as FILE.png or FILE.ppm
  help                           show this text

A recording holds what a viewer of the session received (docs/recording.md): control messages (chat,
participants, grants, requests…), screen and cursor packets. Exit codes: 0 done, 1 failed, 2 bad usage.`;

export interface RecordingCommandDeps {
  /** The folder the gateway writes recordings to (its recordingsDir). */
  dir: string;
  out: (line: string) => void;
}

class Usage extends Error {}

/** `recording …` of the admin CLI: reads recording files, needs no store. Returns the exit code. */
export async function runRecordingCommand(argv: string[], deps: RecordingCommandDeps): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { json: { type: 'boolean' }, out: { type: 'string' }, frame: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    deps.out(`error: ${(err as Error).message.split('\n')[0]}`);
    deps.out(recordingUsage);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, target, ...extra] = positionals;
  if (values.help || command === 'help') {
    deps.out(recordingUsage);
    return 0;
  }
  try {
    if (extra.length > 0) throw new Usage(`unexpected argument "${extra[0]}"`);
    switch (command) {
      case 'list':
        if (target !== undefined) throw new Usage('list takes no arguments');
        await list(deps);
        return 0;
      case 'events':
        events(readRecording(await load(deps, target)).entries, values.json === true, deps.out);
        return 0;
      case 'frame':
        return await frame(deps, target, values.out, values.frame);
      case undefined:
        throw new Usage('which recording command?');
      default:
        throw new Usage(`unknown recording command "${command}"`);
    }
  } catch (err) {
    if (err instanceof Usage) {
      deps.out(`error: ${err.message}`);
      deps.out(recordingUsage);
      return 2;
    }
    const code = (err as { code?: string }).code;
    if (err instanceof RecordingFormatError || code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      deps.out(`error: ${(err as Error).message}`);
      return 1;
    }
    throw err;
  }
}

/** A GUID means `<dir>/<guid>.rdrec`; anything else is a file path. */
async function load(deps: RecordingCommandDeps, target: string | undefined): Promise<Buffer> {
  if (!target) throw new Usage('name a recording: its session GUID or its file');
  return readFile(/^[0-9a-f]{32}$/.test(target) ? join(deps.dir, `${target}.rdrec`) : target);
}

async function list(deps: RecordingCommandDeps): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(deps.dir)).filter((n) => n.endsWith('.rdrec')).sort();
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
    names = [];
  }
  if (names.length === 0) {
    deps.out(`no recordings in ${deps.dir}`);
    return;
  }
  deps.out('session                           started (UTC)         length   segments  frames  bytes');
  for (const name of names) {
    const path = join(deps.dir, name);
    const size = (await stat(path)).size;
    try {
      const r = readRecording(await readFile(path));
      const first = r.entries[0]?.at ?? 0;
      const length = ((r.entries.at(-1)?.at ?? first) - first) / 1000;
      const frames = r.entries.filter((e) => e.screen).length;
      const started = new Date(first).toISOString().slice(0, 19).replace('T', ' ');
      deps.out(`${name.slice(0, -6).padEnd(34)}${started.padEnd(22)}${`${length.toFixed(1)} s`.padEnd(9)}${String(r.segments.length).padEnd(10)}${String(frames).padEnd(8)}${size}${r.truncatedAt !== null ? ' (cut short)' : ''}`);
    } catch (err) {
      if (!(err instanceof RecordingFormatError)) throw err;
      deps.out(`${name.slice(0, -6).padEnd(34)}unreadable: ${err.message}`);
    }
  }
}

function events(entries: RecordingEntry[], asJson: boolean, out: (line: string) => void): void {
  const t0 = entries[0]?.at ?? 0;
  for (const e of entries) {
    if (asJson) {
      out(JSON.stringify({ segment: e.segment, at: e.at, kind: e.kind, bytes: e.bytes, channel: e.channel, screen: e.screen, cursor: e.cursor, message: e.json }));
      continue;
    }
    out(`${`+${((e.at - t0) / 1000).toFixed(3)}s`.padStart(11)}  ${describe(e)}`);
  }
}

/** One line a person reads: what happened, without the envelope. */
function describe(e: RecordingEntry): string {
  const j = e.json ?? {};
  switch (e.kind) {
    case 'start':
      return `start segment ${e.segment}: mode ${j.mode}, recorder ${j.recorder}, gateway ${j.gateway}${j.requestedBy ? `, asked by ${j.requestedBy}, consented by ${j.consentedBy}` : ''}`;
    case 'stop':
      return `stop: ${j.reason}${j.message ? ` (${j.message})` : ''}`;
    case 'binary':
      if (e.screen) {
        const s = e.screen;
        return `screen frame ${s.frame} ${s.keyframe ? (s.repair ? 'repair keyframe' : 'keyframe') : `delta on ${s.base}`}, ${s.bytes} bytes`;
      }
      if (e.cursor) return e.cursor.type === 'position' ? `cursor at ${e.cursor.x},${e.cursor.y}${e.cursor.visible ? '' : ' (hidden)'}` : `cursor shape ${e.cursor.width}×${e.cursor.height}`;
      return `${e.channel === channels.cursor.id ? 'cursor' : `channel ${e.channel}`}, ${e.bytes} bytes`;
    case 'control': {
      const { v: _v, type, ...rest } = j;
      if (type === 'chat') return `chat ${j.fromId} ${j.name}: ${JSON.stringify(j.text)}`;
      if (type === 'participants') return `participants: ${(j.list as { id: string; role: string; name: string }[]).map((p) => `${p.id} ${p.role} ${JSON.stringify(p.name)}`).join(', ')}; control: ${j.controller ?? 'nobody'}`;
      return `${type} ${JSON.stringify(rest)}`;
    }
  }
}

async function frame(deps: RecordingCommandDeps, target: string | undefined, outFile: string | undefined, frameArg: string | undefined): Promise<number> {
  if (!outFile) throw new Usage('frame needs --out FILE.png (or .ppm)');
  if (frameArg !== undefined && !/^[1-9]\d{0,9}$/.test(frameArg)) throw new Usage('--frame takes a frame number (1, 2, …: see "recording events")');
  const file = await load(deps, target);
  const picture = pictureAt(file, frameArg === undefined ? undefined : Number(frameArg));
  if (!picture) {
    const frames = readRecording(file).entries.filter((e) => e.screen).map((e) => e.screen!.frame);
    deps.out(frames.length === 0 ? 'error: the recording holds no screen picture' : `error: frame ${frameArg} is not in the recording (it has frames ${frames[0]} to ${frames.at(-1)})`);
    return 1;
  }
  const encoded = encodePicture(picture, outFile);
  if (!encoded) throw new Usage('--out must end in .png or .ppm');
  await writeFile(outFile, encoded);
  deps.out(`wrote frame ${picture.frame} (${picture.width}×${picture.height}, segment ${picture.segment}) to ${outFile}`);
  return 0;
}
