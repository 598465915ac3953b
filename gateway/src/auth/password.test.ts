import { describe, expect, it } from 'vitest';
import { generatePassword, hashPassword, needsRehash, passwordAlphabet, verifyPassword } from './password.js';

// Low-cost parameters keep the suite fast; the format and the checks are the same at any cost.
const fast = { N: 2 ** 10, r: 8, p: 1 };

describe('password hashing', () => {
  it('verifies the right password and rejects a wrong one', async () => {
    const hash = await hashPassword('correct horse', fast);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct hors', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('writes a self-describing string with the default strong parameters', async () => {
    const hash = await hashPassword('pw');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(await verifyPassword('pw', hash)).toBe(true);
  });

  it('salts every hash, so equal passwords give different hashes', async () => {
    const a = await hashPassword('same', fast);
    const b = await hashPassword('same', fast);
    expect(a).not.toBe(b);
  });

  it('treats composed and decomposed Unicode as the same password', async () => {
    const hash = await hashPassword('caf\u00e9', fast);
    expect(await verifyPassword('cafe\u0301', hash)).toBe(true);
  });

  it('refuses malformed hashes loudly instead of answering "wrong password"', async () => {
    await expect(verifyPassword('x', 'plain-text')).rejects.toThrow(/malformed/);
    // A hostile N would allocate gigabytes: refused before scrypt runs.
    await expect(verifyPassword('x', 'scrypt$1073741824$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')).rejects.toThrow(
      /malformed/,
    );
  });

  it('rejects an over-long password without matching', async () => {
    const hash = await hashPassword('a', fast);
    expect(await verifyPassword('a'.repeat(2000), hash)).toBe(false);
    await expect(hashPassword('a'.repeat(2000), fast)).rejects.toThrow(/longer/);
  });

  it('flags hashes made with weaker parameters for re-hashing', async () => {
    expect(needsRehash(await hashPassword('a', fast))).toBe(true);
    expect(needsRehash(await hashPassword('a'))).toBe(false);
  });
});

describe('generatePassword', () => {
  it('makes 20 characters from the unambiguous alphabet', () => {
    const pw = generatePassword();
    expect(pw).toHaveLength(20);
    for (const ch of pw) expect(passwordAlphabet).toContain(ch);
    expect(pw).not.toMatch(/[0O1lI]/);
  });

  it('does not repeat itself', () => {
    const seen = new Set(Array.from({ length: 200 }, () => generatePassword()));
    expect(seen.size).toBe(200);
  });

  it('refuses short lengths', () => {
    expect(() => generatePassword(6)).toThrow();
  });
});
