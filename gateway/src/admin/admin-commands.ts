import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { GatewayError } from '../errors/gateway-error.js';
import { displayNameProblem, normalizeUsername, orgIdProblem, usernameProblem } from '../auth/account-names.js';
import type { AccountStore, TechnicianAccount } from '../auth/account-store.js';
import { generatePassword, hashPassword, type ScryptParams } from '../auth/password.js';
import { parseArgs, UsageError } from './parse-args.js';

export interface AdminDeps {
  accounts: AccountStore;
  /** One line of output for the operator (no trailing newline). Errors go here too, prefixed "error:". */
  out: (line: string) => void;
  clock: Clock;
  /** Cost of new password hashes; the default of auth/password.ts unless a test wants it cheaper. */
  scryptParams?: ScryptParams;
}

/** Exit codes: 0 done, 1 the command could not be carried out (unknown user, name taken), 2 bad usage. */
export const exitOk = 0;
export const exitFailed = 1;
export const exitUsage = 2;

export const adminUsage = `usage: relaydesk-admin <command> [arguments]

commands:
  create <username> --org <orgId> [--name "Display Name"]
                             add a technician; prints a one-time initial password
  list                       show all technicians
  disable <username>         block logins and end the technician's sessions (revokes tokens)
  enable <username>          allow logins again (old tokens stay revoked)
  reset-password <username>  set a new one-time password and revoke tokens
  revoke-tokens <username>   log the technician out everywhere
  help                       show this text

usernames: lower-case letters, digits and . _ @ - (case-insensitive); org ids: letters, digits, _ and -`;

class CommandFailed extends Error {
  override name = 'CommandFailed';
}

type Command = (args: string[], deps: AdminDeps) => Promise<void>;

/**
 * The admin CLI without its process: parses `argv` (after the program name), runs one command against the
 * account store, writes lines to `deps.out`, returns the exit code. Never prints a password hash; prints a
 * generated password exactly once, when it is made.
 */
export async function runAdmin(argv: string[], deps: AdminDeps): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    deps.out(adminUsage);
    return exitUsage;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    deps.out(adminUsage);
    return exitOk;
  }
  const command = commands[name];
  if (!command) {
    deps.out(`error: unknown command "${name}"`);
    deps.out(adminUsage);
    return exitUsage;
  }
  try {
    await command(rest, deps);
    return exitOk;
  } catch (err) {
    if (err instanceof UsageError) {
      deps.out(`error: ${err.message}`);
      deps.out(`run "relaydesk-admin help" for usage`);
      return exitUsage;
    }
    if (err instanceof CommandFailed) {
      deps.out(`error: ${err.message}`);
      return exitFailed;
    }
    throw err; // a store outage or a bug: the entry point prints it and exits non-zero
  }
}

const commands: Record<string, Command> = {
  create: async (argv, deps) => {
    const { positional, flags } = parseArgs(argv, ['org', 'name']);
    const username = oneUsername(positional);
    const orgId = flags.get('org');
    if (orgId === undefined) throw new UsageError('create needs --org <orgId>');
    const orgError = orgIdProblem(orgId);
    if (orgError) throw new UsageError(`bad org id "${printable(orgId)}": ${orgError}`);
    const displayName = flags.get('name') ?? username;
    const nameError = displayNameProblem(displayName);
    if (nameError) throw new UsageError(`bad display name: ${nameError}`);
    if (await deps.accounts.getByUsername(username)) throw new CommandFailed(`a technician named "${username}" already exists`);

    const password = generatePassword();
    const account: TechnicianAccount = {
      id: randomUUID(),
      username,
      orgId,
      displayName,
      passwordHash: await hashPassword(password, deps.scryptParams),
      disabled: false,
      tokenEpoch: 0,
      createdAt: deps.clock(),
    };
    try {
      await deps.accounts.create(account);
    } catch (err) {
      // Another admin created the same name between our check and the write.
      if (err instanceof GatewayError && err.code === 'E_BAD_REQUEST') throw new CommandFailed(`a technician named "${username}" already exists`);
      throw err;
    }
    deps.out(`created technician "${username}" in org "${orgId}"`);
    printOneTimePassword(deps, password);
  },

  list: async (argv, deps) => {
    const { positional } = parseArgs(argv, []);
    if (positional.length > 0) throw new UsageError('list takes no arguments');
    const accounts = await deps.accounts.list();
    if (accounts.length === 0) {
      deps.out('no technicians yet; add one with: relaydesk-admin create <username> --org <orgId>');
      return;
    }
    const rows = [
      ['USERNAME', 'ORG', 'DISPLAY NAME', 'DISABLED', 'CREATED'],
      ...accounts.map((a) => [a.username, a.orgId, printable(a.displayName), a.disabled ? 'yes' : 'no', new Date(a.createdAt).toISOString()]),
    ];
    const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
    for (const r of rows) deps.out(r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  '));
  },

  disable: async (argv, deps) => {
    const account = await findAccount(argv, deps);
    // Bumping the epoch too means re-enabling later does not bring old tokens back.
    await deps.accounts.update(account.id, { disabled: true, tokenEpoch: account.tokenEpoch + 1 });
    deps.out(account.disabled ? `"${account.username}" was already disabled; tokens revoked again` : `disabled "${account.username}"; its tokens are revoked`);
  },

  enable: async (argv, deps) => {
    const account = await findAccount(argv, deps);
    await deps.accounts.update(account.id, { disabled: false });
    deps.out(account.disabled ? `enabled "${account.username}"` : `"${account.username}" was already enabled`);
  },

  'reset-password': async (argv, deps) => {
    const account = await findAccount(argv, deps);
    const password = generatePassword();
    await deps.accounts.update(account.id, { passwordHash: await hashPassword(password, deps.scryptParams), tokenEpoch: account.tokenEpoch + 1 });
    deps.out(`reset the password of "${account.username}"; its tokens are revoked`);
    printOneTimePassword(deps, password);
  },

  'revoke-tokens': async (argv, deps) => {
    const account = await findAccount(argv, deps);
    await deps.accounts.update(account.id, { tokenEpoch: account.tokenEpoch + 1 });
    deps.out(`revoked every token of "${account.username}"`);
  },
};

function oneUsername(positional: string[]): string {
  if (positional.length === 0) throw new UsageError('a username is required');
  if (positional.length > 1) throw new UsageError(`unexpected arguments: ${positional.slice(1).map(printable).join(' ')}`);
  const username = normalizeUsername(positional[0]!);
  const problem = usernameProblem(username);
  if (problem) throw new UsageError(`bad username "${printable(positional[0]!)}": ${problem}`);
  return username;
}

async function findAccount(argv: string[], deps: AdminDeps): Promise<TechnicianAccount> {
  const { positional } = parseArgs(argv, []);
  const username = oneUsername(positional);
  const account = await deps.accounts.getByUsername(username);
  if (!account) throw new CommandFailed(`no technician named "${username}"`);
  return account;
}

function printOneTimePassword(deps: AdminDeps, password: string): void {
  deps.out(`one-time password: ${password}`);
  deps.out('it is shown only now; hand it over securely');
}

/** Operator input echoed back without control characters, so it cannot rewrite the terminal. */
function printable(s: string): string {
  return s.replace(/\p{Cc}/gu, '?').slice(0, 100);
}
