import { createHash, hash } from 'node:crypto';

/**
 * SHA-256 of a UTF-8 string, hex. Node's one-shot crypto.hash (20.12+) skips the Hash object that
 * createHash().update().digest() builds: a pairing hashes four values (two bearer tokens, two resume tokens).
 */
export const sha256Hex: (text: string) => string =
  typeof hash === 'function' ? (text) => hash('sha256', text, 'hex') : (text) => createHash('sha256').update(text, 'utf8').digest('hex');
