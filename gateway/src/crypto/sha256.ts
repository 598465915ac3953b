import * as crypto from 'node:crypto';

/**
 * SHA-256 of a UTF-8 string, hex. Node's one-shot crypto.hash (20.12+) skips the Hash object that
 * createHash().update().digest() builds: a pairing hashes four values (two bearer tokens, two resume tokens).
 * Read from the namespace, not imported by name, so older Node 20 releases (without it) still load this module.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export const sha256Hex: (text: string) => string =
  typeof oneShot === 'function' ? (text) => oneShot('sha256', text, 'hex') : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');
