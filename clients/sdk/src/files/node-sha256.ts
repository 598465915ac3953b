import { createHash } from 'node:crypto';
import type { IncrementalHash } from './file-transfers.js';

/** SHA-256 through OpenSSL for FileTransfers in Node (`{ hash: nodeSha256 }`): the same digest, several times faster. */
export function nodeSha256(): IncrementalHash {
  const h = createHash('sha256');
  return { update: (data) => h.update(data), hex: () => h.digest('hex') };
}
