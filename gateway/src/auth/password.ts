import { randomBytes, randomInt, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost parameters. Stored inside every hash, so they can be raised later without breaking old hashes. */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. Memory used is 128 * N * r bytes. */
  N: number;
  r: number;
  p: number;
}

/**
 * N=2^14, r=8, p=1 (16 MiB): the scrypt paper's "interactive login" setting. Measured on the 2-core dev box
 * with `npx vitest bench --run gateway/src/auth/password.bench.ts`: 35-40 ms per verify (a whole
 * AuthService.login: ~35 ms median); N=2^15 took ~91 ms, at our ~100 ms login budget rather than well under.
 * Raise N when hardware allows: verifyPassword reads the parameters from the hash, needsRehash flags old ones.
 */
export const defaultScryptParams: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 14, r: 8, p: 1 });

const saltBytes = 16;
const keyBytes = 32;
/** Hard caps on parameters read back from a stored hash, so a corrupt or hostile hash cannot exhaust memory. */
const maxN = 2 ** 20;
const maxR = 32;
const maxP = 16;
/** PBKDF2 inside scrypt is linear in the password length; longer inputs are refused instead of hashed. */
export const maxPasswordLength = 1024;

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // Node's default maxmem (32 MiB) is below 128*N*r for N >= 2^15; allow what the parameters need plus slack.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.N * params.r * 2 + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCb(password.normalize('NFC'), salt, keyBytes, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function validateParams(params: ScryptParams): void {
  const { N, r, p } = params;
  if (!Number.isInteger(N) || N < 2 ** 10 || N > maxN || (N & (N - 1)) !== 0) {
    throw new Error(`scrypt N must be a power of two between 2^10 and 2^20, got ${N}`);
  }
  if (!Number.isInteger(r) || r < 1 || r > maxR) throw new Error(`scrypt r must be an integer 1..${maxR}, got ${r}`);
  if (!Number.isInteger(p) || p < 1 || p > maxP) throw new Error(`scrypt p must be an integer 1..${maxP}, got ${p}`);
}

/** Hashes a password with a fresh 16-byte random salt. Result: `scrypt$N$r$p$salt_b64$hash_b64`. */
export async function hashPassword(password: string, params: ScryptParams = defaultScryptParams): Promise<string> {
  validateParams(params);
  if (password.length > maxPasswordLength) throw new Error(`password longer than ${maxPasswordLength} characters`);
  const salt = randomBytes(saltBytes);
  const key = await scrypt(password, salt, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parseHash(hash: string): ParsedHash | null {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const params = { N: Number(parts[1]), r: Number(parts[2]), p: Number(parts[3]) };
  try {
    validateParams(params);
  } catch {
    return null;
  }
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || key.length < 16) return null;
  return { params, salt, key };
}

/**
 * True when `password` matches `hash`. A malformed hash is a bug in the store, so it throws rather than
 * answering false (which would look like a wrong password and hide the corruption).
 */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parsed = parseHash(hash);
  if (!parsed) throw new Error('stored password hash is malformed');
  // Over-long input: still spend one scrypt so the answer takes as long as a real check.
  const tooLong = password.length > maxPasswordLength;
  const key = await scrypt(tooLong ? '' : password, parsed.salt, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key) && !tooLong;
}

/** True when the hash was made with weaker parameters than `params` (re-hash on the next successful login). */
export function needsRehash(hash: string, params: ScryptParams = defaultScryptParams): boolean {
  const parsed = parseHash(hash);
  if (!parsed) return true;
  return parsed.params.N < params.N || parsed.params.r < params.r || parsed.params.p < params.p;
}

/** No 0/O, 1/l/I: initial passwords are read off a terminal and typed by a person. 57 symbols, ~5.8 bits each. */
export const passwordAlphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A one-time initial password from the CSPRNG: 20 characters of an unambiguous alphabet (~116 bits). */
export function generatePassword(length = 20): string {
  if (!Number.isInteger(length) || length < 12) throw new Error('generated passwords must be at least 12 characters');
  let out = '';
  // randomInt rejects biased draws internally, so each symbol is uniform.
  for (let i = 0; i < length; i++) out += passwordAlphabet[randomInt(passwordAlphabet.length)];
  return out;
}
