// Run: npx vitest bench gateway/src/auth/password.bench.ts — the login cost quoted in password.ts comes from here.
import { bench, describe } from 'vitest';
import { hashPassword, verifyPassword } from './password.js';

const n14 = await hashPassword('benchmark password', { N: 2 ** 14, r: 8, p: 1 });
const n15 = await hashPassword('benchmark password', { N: 2 ** 15, r: 8, p: 1 });

describe('verifyPassword (one login)', () => {
  bench('scrypt N=2^14 r=8 p=1 (default)', async () => {
    await verifyPassword('benchmark password', n14);
  });
  bench('scrypt N=2^15 r=8 p=1', async () => {
    await verifyPassword('benchmark password', n15);
  });
});
