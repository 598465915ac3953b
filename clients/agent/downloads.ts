/**
 * Where the customer's received files go: one downloads directory, a safe name, never overwriting anything and
 * never outside that directory. A file is written to a hidden temporary name first and gets its real name only
 * once its SHA-256 matched, so a half-received or corrupt file never looks like a finished one.
 */
import { closeSync, linkSync, mkdirSync, openSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, extname, join } from 'node:path';
import { fileBaseName, fileNameProblem } from '../../protocol/file-transfer.js';
import type { FileSink } from '../sdk/src/node.js';

/** Linux allows 255 bytes per name; leave room for " (999)". */
const MAX_NAME_BYTES = 240;
const MAX_SUFFIX = 999;

/**
 * The name a received file is saved under, or an error for a name that must not be saved at all. The path part
 * is dropped (again: the gateway already did, a direct path does not pass it), control and bidi characters are
 * refused, a leading dot becomes "_" (no hidden files), trailing dots and spaces go, and long names are cut
 * (keeping the extension) to what the file system takes.
 */
export function safeFileName(offered: string): string {
  const base = fileBaseName(offered);
  const problem = fileNameProblem(base);
  if (problem) throw Object.assign(new Error(`file name ${problem}`), { code: 'E_FILE_NAME' });
  let name = base.replace(/^\.+/, (dots) => '_'.repeat(dots.length)).replace(/[. ]+$/, '');
  if (name === '' || /^_+$/.test(name)) name = `file${name}`;
  const encoder = new TextEncoder();
  if (encoder.encode(name).length > MAX_NAME_BYTES) {
    const ext = extname(name).slice(0, 16);
    let stem = name.slice(0, name.length - ext.length);
    while (encoder.encode(stem + ext).length > MAX_NAME_BYTES) stem = [...stem].slice(0, -1).join('');
    name = stem + ext;
  }
  return name;
}

/** The names tried in turn: "a.txt", "a (1).txt", "a (2).txt", … */
function candidate(name: string, n: number): string {
  if (n === 0) return name;
  const ext = extname(name);
  return `${name.slice(0, name.length - ext.length)} (${n})${ext}`;
}

export interface Download extends FileSink {
  /** The name it will be saved under (or was: `savedAs`). */
  readonly name: string;
  /** The final path once saved. */
  savedAs: string | null;
}

/** Creates the downloads directory if needed and returns its real path (symbolic links resolved once, here). */
export function downloadsDirectory(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return realpathSync(dir);
}

/**
 * A sink for one incoming file in `dir` (a real path from downloadsDirectory). Writes are synchronous
 * (FileSink's contract: bulk credit goes back as soon as a chunk is handed over, so nothing piles up here).
 */
export function openDownload(dir: string, offeredName: string): Download {
  const name = safeFileName(offeredName);
  // O_EXCL: a fresh file of ours, never an existing file or a symbolic link planted under that name.
  const temp = join(dir, `.relaydesk-${randomBytes(8).toString('hex')}.part`);
  const fd = openSync(temp, 'wx', 0o600);
  let open = true;
  const download: Download = {
    name,
    savedAs: null,
    write(chunk) {
      for (let at = 0; at < chunk.byteLength; ) at += writeSync(fd, chunk, at, chunk.byteLength - at);
    },
    finish(ok) {
      if (!open) return;
      open = false;
      closeSync(fd);
      try {
        if (ok) download.savedAs = linkUnique(dir, temp, name);
      } finally {
        unlinkSync(temp);
      }
    },
  };
  return download;
}

/** Gives `temp` the first free name: link() fails on an existing name, so nothing is ever overwritten. */
function linkUnique(dir: string, temp: string, name: string): string {
  for (let n = 0; n <= MAX_SUFFIX; n++) {
    const path = join(dir, candidate(name, n));
    // The name has no separator (safeFileName), so the path is in `dir`; checked anyway, as the last word.
    if (dirname(path) !== dir) throw Object.assign(new Error(`refusing to save outside ${dir}`), { code: 'E_FILE_NAME' });
    try {
      linkSync(temp, path);
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw Object.assign(new Error(`${MAX_SUFFIX} files named like "${name}" exist already in ${dir}`), { code: 'E_FILE_NAME' });
}
