import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { FileSource } from './file-transfers.js';

/** A regular file on disk, read chunk by chunk as the transfer goes (Node only). The size is taken when it is opened. */
export async function fileSource(path: string, mime?: string): Promise<FileSource> {
  const handle = await open(path, 'r');
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw Object.assign(new Error(`${path} is not a regular file`), { code: 'E_FILE_READ' });
  }
  return {
    name: basename(path),
    size: stat.size,
    mime,
    read: async (offset, length) => {
      const buffer = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await handle.read(buffer, got, length - got, offset + got);
        if (bytesRead === 0) break; // the file shrank: FileTransfers fails the transfer on the short read
        got += bytesRead;
      }
      return got === length ? buffer : buffer.subarray(0, got);
    },
    close: () => handle.close(),
  };
}
