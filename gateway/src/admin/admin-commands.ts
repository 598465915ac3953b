import { printable } from '../../../protocol/display-text.js';
import type { Clock } from '../clock.js';
import { GatewayError } from '../errors/gateway-error.js';
import { normalizeUsername, orgIdProblem, usernameProblem } from '../auth/account-names.js';
import type { AccountStore } from '../auth/account-store.js';
import { AdminEvents, type AdminActor } from '../auth/admin-events.js';
import type { ScryptParams } from '../auth/password.js';
import { isRole, roles } from '../auth/roles.js';
import type { OrgStore } from '../org/organisation.js';
import { AdminService } from './admin-service.js';
import { parseArgs, UsageError } from './parse-args.js';

export interface AdminDeps {
  accounts: AccountStore;
  orgs: OrgStore;
  /** One line of output for the operator (no trailing newline). Errors go here too, prefixed "error:". */
  out: (line: string) => void;
  clock: Clock;
  /** Cost of new password hashes; the default of auth/password.ts unless a test wants it cheaper. */
  scryptParams?: ScryptParams;
  /** Where the CLI's changes are announced (the entry point logs them); a private emitter when absent. */
  events?: AdminEvents;
}

/** Exit codes: 0 done, 1 the command could not be carried out (unknown user, name taken), 2 bad usage. */
export const exitOk = 0;
export const exitFailed = 1;
export const exitUsage = 2;

export const adminUsage = `usage: relaydesk-admin <command> [arguments]

commands:
  create <username> --org <orgId> [--name "Display Name"] [--role <role>] [--team <teamId>]
                             add a technician; prints a one-time initial password
  list                       show all technicians
  set-role <username> <role> make a technician an ${roles.join(', ')}
  create-org <orgId> [--name "Name"]
                             name an organisation (its settings start at the defaults)
  create-team <orgId> <teamId> [--name "Name"]
                             add a team to an organisation
  reset-2fa <username>       remove a lost second factor (the technician enrols again)
  policy <orgId> [--team <teamId>] [--set '<json>']
                             show (or replace) the session policy of an organisation or team
  security <orgId> [--set '<json>']
                             show (or change) requireTotp, allowList and idleMinutes
  form <orgId> [--set '<json>']
                             show (or replace) the pre-session form: a list of
                             {"key","label","required","maxLength"}; '[]' removes it
  disable <username>         block logins and end the technician's sessions (revokes tokens)
  enable <username>          allow logins again (old tokens stay revoked)
  reset-password <username>  set a new one-time password and revoke tokens
  revoke-tokens <username>   log the technician out everywhere
  recording list | events <guid> | frame <guid> --out FILE.png [--frame N]
                             read session recordings (recording --help)
  help                       show this text

usernames: lower-case letters, digits and . _ @ - (case-insensitive); org ids: letters, digits, _ and -`;

class CommandFailed extends Error {
  override name = 'CommandFailed';
}

interface CommandContext {
  service: AdminService;
  out: AdminDeps['out'];
}

type Command = (args: string[], ctx: CommandContext) => Promise<void>;

/** The CLI acts as the operator: it has the store itself, so it is not bound to one organisation or role. */
const operator: AdminActor = { kind: 'operator' };

/** Failures the operator can fix (a name taken, nobody of that name) are messages with exit 1, not crashes. */
const commandFailures = new Set(['E_CONFLICT', 'E_NOT_FOUND', 'E_BAD_REQUEST', 'E_FORBIDDEN']);

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
  const service = new AdminService({ accounts: deps.accounts, orgs: deps.orgs, events: deps.events ?? new AdminEvents(), clock: deps.clock, scryptParams: deps.scryptParams });
  try {
    await command(rest, { service, out: deps.out });
    return exitOk;
  } catch (err) {
    if (err instanceof UsageError) {
      deps.out(`error: ${err.message}`);
      deps.out(`run "relaydesk-admin help" for usage`);
      return exitUsage;
    }
    if (err instanceof CommandFailed || (err instanceof GatewayError && commandFailures.has(err.code))) {
      deps.out(`error: ${err.message}`);
      return exitFailed;
    }
    throw err; // a store outage or a bug: the entry point prints it and exits non-zero
  }
}

const commands: Record<string, Command> = {
  create: async (argv, { service, out }) => {
    const { positional, flags } = parseArgs(argv, ['org', 'name', 'role', 'team']);
    const username = oneUsername(positional);
    const orgId = flags.get('org');
    if (orgId === undefined) throw new UsageError('create needs --org <orgId>');
    const orgError = orgIdProblem(orgId);
    if (orgError) throw new UsageError(`bad org id "${printable(orgId)}": ${orgError}`);
    const role = flags.get('role') ?? 'technician';
    if (!isRole(role)) throw new UsageError(`bad role "${printable(role)}": one of ${roles.join(', ')}`);
    try {
      const { password } = await service.createTechnician(operator, orgId, { username, displayName: flags.get('name'), role, teamId: flags.get('team') ?? null });
      out(`created ${role === 'technician' ? 'technician' : role} "${username}" in org "${orgId}"`);
      printOneTimePassword(out, password);
    } catch (err) {
      // A bad display name is the operator's typing, like a bad username: usage, not failure.
      if (err instanceof GatewayError && err.code === 'E_BAD_REQUEST') throw new UsageError(err.message);
      throw err;
    }
  },

  list: async (argv, { service, out }) => {
    const { positional } = parseArgs(argv, []);
    if (positional.length > 0) throw new UsageError('list takes no arguments');
    const accounts = await service.listTechnicians(operator, null);
    if (accounts.length === 0) {
      out('no technicians yet; add one with: relaydesk-admin create <username> --org <orgId>');
      return;
    }
    // Roles and teams only when someone has one, so the table of a deployment without them looks as before.
    const extra = accounts.some((a) => a.role !== 'technician' || a.teamId !== null);
    const rows = [
      ['USERNAME', 'ORG', 'DISPLAY NAME', ...(extra ? ['ROLE', 'TEAM'] : []), 'DISABLED', 'CREATED'],
      ...accounts.map((a) => [
        a.username,
        a.orgId,
        printable(a.displayName),
        ...(extra ? [a.role, a.teamId ?? '-'] : []),
        a.disabled ? 'yes' : 'no',
        new Date(a.createdAt).toISOString(),
      ]),
    ];
    const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
    for (const r of rows) out(r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  '));
  },

  disable: async (argv, { service, out }) => {
    const username = oneUsername(parseArgs(argv, []).positional);
    const before = await service.getTechnician(operator, null, username);
    await service.updateTechnician(operator, null, username, { disabled: true });
    out(before.disabled ? `"${username}" was already disabled; tokens revoked again` : `disabled "${username}"; its tokens are revoked`);
  },

  enable: async (argv, { service, out }) => {
    const username = oneUsername(parseArgs(argv, []).positional);
    const before = await service.getTechnician(operator, null, username);
    await service.updateTechnician(operator, null, username, { disabled: false });
    out(before.disabled ? `enabled "${username}"` : `"${username}" was already enabled`);
  },

  'reset-password': async (argv, { service, out }) => {
    const username = oneUsername(parseArgs(argv, []).positional);
    const { password } = await service.resetPassword(operator, null, username);
    out(`reset the password of "${username}"; its tokens are revoked`);
    printOneTimePassword(out, password);
  },

  'revoke-tokens': async (argv, { service, out }) => {
    const username = oneUsername(parseArgs(argv, []).positional);
    await service.revokeTokens(operator, null, username);
    out(`revoked every token of "${username}"`);
  },

  'reset-2fa': async (argv, { service, out }) => {
    const username = oneUsername(parseArgs(argv, []).positional);
    await service.resetSecondFactor(operator, null, username);
    out(`removed the second factor of "${username}"; its tokens are revoked`);
  },

  'set-role': async (argv, { service, out }) => {
    const { positional } = parseArgs(argv, []);
    if (positional.length !== 2) throw new UsageError('set-role needs <username> <role>');
    const username = oneUsername(positional.slice(0, 1));
    const role = positional[1]!;
    if (!isRole(role)) throw new UsageError(`bad role "${printable(role)}": one of ${roles.join(', ')}`);
    await service.updateTechnician(operator, null, username, { role });
    out(`"${username}" is now ${role === 'administrator' ? 'an' : 'a'} ${role}`);
  },

  policy: async (argv, { service, out }) => {
    const { positional, flags } = parseArgs(argv, ['team', 'set']);
    if (positional.length !== 1) throw new UsageError('policy needs one <orgId>');
    const [orgId] = positional as [string];
    const teamId = flags.get('team') ?? null;
    const set = flags.get('set');
    const result = set === undefined ? await service.getPolicy(operator, orgId, teamId) : await service.setPolicy(operator, orgId, teamId, jsonFlag(set));
    out(JSON.stringify(result, null, 2));
  },

  security: (argv, ctx) => showOrSet('security', argv, ctx, (s, orgId) => s.getSecurity(operator, orgId), (s, orgId, input) => s.setSecurity(operator, orgId, input)),

  form: (argv, ctx) => showOrSet('form', argv, ctx, (s, orgId) => s.getPreSessionForm(operator, orgId), (s, orgId, input) => s.setPreSessionForm(operator, orgId, input)),

  'create-org': async (argv, { service, out }) => {
    const { positional, flags } = parseArgs(argv, ['name']);
    if (positional.length !== 1) throw new UsageError('create-org needs one <orgId>');
    const orgId = positional[0]!;
    const problem = orgIdProblem(orgId);
    if (problem) throw new UsageError(`bad org id "${printable(orgId)}": ${problem}`);
    const org = await service.createOrganisation(operator, orgId, flags.get('name') ?? orgId);
    out(`organisation "${org.id}" is named "${printable(org.name)}"`);
  },

  'create-team': async (argv, { service, out }) => {
    const { positional, flags } = parseArgs(argv, ['name']);
    if (positional.length !== 2) throw new UsageError('create-team needs <orgId> <teamId>');
    const [orgId, teamId] = positional as [string, string];
    const team = await service.createTeam(operator, orgId, teamId, flags.get('name') ?? teamId);
    out(`created team "${team.id}" in org "${orgId}"`);
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

/** `<command> <orgId> [--set '<json>']`: prints the setting, or replaces it and prints what was stored. */
async function showOrSet(
  name: string,
  argv: string[],
  { service, out }: CommandContext,
  get: (s: AdminService, orgId: string) => Promise<unknown>,
  set: (s: AdminService, orgId: string, input: unknown) => Promise<unknown>,
): Promise<void> {
  const { positional, flags } = parseArgs(argv, ['set']);
  if (positional.length !== 1) throw new UsageError(`${name} needs one <orgId>`);
  const [orgId] = positional as [string];
  const given = flags.get('set');
  out(JSON.stringify(given === undefined ? await get(service, orgId) : await set(service, orgId, jsonFlag(given)), null, 2));
}

function jsonFlag(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`--set takes JSON, e.g. '{"allowedPowers":["view"]}'`);
  }
}

function printOneTimePassword(out: AdminDeps['out'], password: string): void {
  out(`one-time password: ${password}`);
  out('it is shown only now; hand it over securely');
}

