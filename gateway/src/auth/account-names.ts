import { displayTextProblem } from '../../../protocol/display-text.js';

/**
 * Syntax of the names an operator types. Usernames are case-insensitive (stored lower-case) so "Alice" and
 * "alice" cannot become two accounts; login normalises the same way.
 */
const usernamePattern = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
const orgIdPattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const maxDisplayName = 100;

export function normalizeUsername(username: string): string {
  return username.normalize('NFC').toLowerCase();
}

/** Null when valid, else a message for the operator. Expects a normalised username. */
export function usernameProblem(username: string): string | null {
  return usernamePattern.test(username)
    ? null
    : 'a username is 1-64 characters: lower-case letters, digits and . _ @ -, starting with a letter or digit';
}

export function orgIdProblem(orgId: string): string | null {
  return orgIdPattern.test(orgId)
    ? null
    : 'an org id is 1-63 characters: lower-case letters, digits, _ and -, starting with a letter or digit';
}

export function displayNameProblem(name: string): string | null {
  // Control characters would let a display name rewrite the admin's terminal, forge log lines or reorder text.
  if (name.length < 1 || name.length > maxDisplayName || displayTextProblem(name) !== null) {
    return `a display name is 1-${maxDisplayName} printable characters`;
  }
  return null;
}

/** Team ids follow the org id rule (they appear in the same places: URLs, logs, policy keys). */
export function teamIdProblem(teamId: string): string | null {
  return orgIdPattern.test(teamId)
    ? null
    : 'a team id is 1-63 characters: lower-case letters, digits, _ and -, starting with a letter or digit';
}
