import { describe, expect, it } from 'vitest';
import { displayNameProblem, normalizeUsername, orgIdProblem, usernameProblem } from './account-names.js';

describe('account names', () => {
  it('normalises usernames to lower case', () => {
    expect(normalizeUsername('Alice.Example@Acme')).toBe('alice.example@acme');
  });

  it('accepts plain usernames and refuses spaces, leading punctuation and over-long names', () => {
    for (const ok of ['alice', 'a', 'alice.b_c-d@acme', '007']) expect(usernameProblem(ok), ok).toBeNull();
    for (const bad of ['', ' alice', 'al ice', '-alice', '.alice', 'Alice', 'a'.repeat(65), 'ali\u0000ce']) {
      expect(usernameProblem(bad), bad).not.toBeNull();
    }
  });

  it('accepts org ids of letters, digits, _ and - only', () => {
    for (const ok of ['acme', 'acme-eu_2']) expect(orgIdProblem(ok), ok).toBeNull();
    for (const bad of ['', 'Acme', 'acme corp', 'acme.eu', '_acme', 'a'.repeat(64)]) expect(orgIdProblem(bad), bad).not.toBeNull();
  });

  it('refuses display names with control characters (terminal escapes, forged log lines)', () => {
    expect(displayNameProblem('Zoë Müller (2nd line)')).toBeNull();
    for (const bad of ['', 'x\u001b[2J', 'a\nb', 'x'.repeat(101)]) expect(displayNameProblem(bad), JSON.stringify(bad)).not.toBeNull();
  });
});
