import type { FileSource } from './file-transfers.js';

/** A file already in memory (tests, generated reports). */
export function bytesSource(name: string, bytes: Uint8Array, mime?: string): FileSource {
  return { name, size: bytes.byteLength, mime, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/** A browser File or Blob (a file input's `files[0]`): read slice by slice, never whole. */
export function blobSource(blob: Blob, name = (blob as Blob & { name?: string }).name ?? 'file'): FileSource {
  return {
    name,
    size: blob.size,
    mime: blob.type || undefined,
    read: async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()),
  };
}
