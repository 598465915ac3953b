import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Logger } from '../log/logger.js';
import { resolveGroups } from '../org/group-mapping.js';
import type { GroupMapping, OrgStore } from '../org/organisation.js';
import type { AccountStore, AccountSource, TechnicianAccount } from './account-store.js';
import { displayNameProblem, normalizeUsername, usernameProblem } from './account-names.js';
import type { AdminEvents } from './admin-events.js';
import type { AuthService, LoginAttempt, LoginOutcome } from './auth-service.js';
import { hashPassword, type ScryptParams } from './password.js';
import type { Role } from './roles.js';

/** What every directory login (LDAP, OpenID Connect, SAML) needs. */
export interface DirectoryLoginDeps {
  auth: Pick<AuthService, 'admitAttempt' | 'failAttempt' | 'loginVerifiedAccount'>;
  accounts: AccountStore;
  orgs: Pick<OrgStore, 'get'>;
  clock: Clock;
  log: Logger;
  events?: AdminEvents;
  scryptParams?: ScryptParams;
}

/** Plain http only to this machine (a provider on loopback, as in tests); anything else must be https. */
export const loopbackHttpUrl = /^http:\/\/(127\.\d+\.\d+\.\d+|\[::1\]|localhost)(:\d+)?(\/|$)/;

/**
 * The end every directory login shares, once the directory vouched for the person: groups to role and team
 * (no mapped group: no login), the local account made or brought in line, then AuthService's allow-list and
 * second factor. `attempt` is what admitAttempt returned; each refusal counts towards its lock.
 */
export async function completeDirectoryLogin(
  deps: DirectoryLoginDeps,
  attempt: LoginAttempt,
  person: Omit<DirectoryPerson, 'role' | 'teamId'> & { groups: readonly string[]; mapping: GroupMapping },
  sourceIp: string,
): Promise<LoginOutcome> {
  const mapped = resolveGroups(person.mapping, person.groups);
  if (!mapped) return deps.auth.failAttempt(attempt, sourceIp, 'no_mapped_group', 'your groups give you no role here');
  const { groups: _groups, mapping: _mapping, ...who } = person;
  const result = await directoryAccount(deps, { ...who, role: mapped.role, teamId: mapped.teamId }, sourceIp);
  if (!result.ok) return deps.auth.failAttempt(attempt, sourceIp, result.reason);
  return deps.auth.loginVerifiedAccount(result.account, sourceIp, person.source, attempt);
}

export interface DirectoryPerson {
  orgId: string;
  source: Exclude<AccountSource, 'local'>;
  /** The name the person logs in with at the directory (uid, sAMAccountName, preferred_username…). */
  login: string;
  /** The directory's stable id: LDAP DN, OIDC `sub`. */
  externalId: string;
  displayName: string;
  role: Role;
  teamId: string | null;
}

export type DirectoryAccountResult = { ok: true; account: TechnicianAccount } | { ok: false; reason: string };

/**
 * The local account of a directory person, made on first login and brought in line with the directory's
 * groups on every login (role, team, display name). Its username is `<login>@<orgId>`, so two organisations'
 * directories never collide; a local account of that name is never taken over.
 */
export async function directoryAccount(
  deps: { accounts: AccountStore; clock: Clock; events?: AdminEvents; scryptParams?: ScryptParams },
  person: DirectoryPerson,
  sourceIp: string,
): Promise<DirectoryAccountResult> {
  const username = normalizeUsername(`${person.login}@${person.orgId}`);
  if (usernameProblem(username)) return { ok: false, reason: 'unusable_login_name' };
  const displayName = displayNameProblem(person.displayName) ? person.login.slice(0, 100) : person.displayName;
  const actor = { kind: 'directory' as const, provider: person.source, sourceIp };
  const existing = await deps.accounts.getByUsername(username);
  if (!existing) {
    const account: TechnicianAccount = {
      id: randomUUID(),
      username,
      orgId: person.orgId,
      displayName,
      // Never used: directory accounts cannot log in with a password (AuthService refuses them). A hash of
      // random bytes keeps the record well-formed for the constant-time password path.
      passwordHash: await hashPassword(randomBytes(24).toString('base64'), deps.scryptParams),
      disabled: false,
      tokenEpoch: 0,
      createdAt: deps.clock(),
      role: person.role,
      teamId: person.teamId,
      source: person.source,
      externalId: person.externalId,
    };
    await deps.accounts.create(account);
    deps.events?.emit({ type: 'technician.created', orgId: person.orgId, technicianId: account.id, username, role: person.role, source: person.source, actor, at: deps.clock() });
    return { ok: true, account };
  }
  if (existing.source !== person.source || existing.orgId !== person.orgId) return { ok: false, reason: 'name_held_by_another_account' };
  // The same name but another person (a re-used uid): refuse rather than hand over the old account.
  if (existing.externalId !== person.externalId) return { ok: false, reason: 'directory_id_changed' };
  if (existing.disabled) return { ok: false, reason: 'disabled' };
  const fields: Record<string, unknown> = {};
  if (existing.role !== person.role) fields.role = person.role;
  if ((existing.teamId ?? null) !== person.teamId) fields.teamId = person.teamId;
  if (existing.displayName !== displayName) fields.displayName = displayName;
  if (Object.keys(fields).length === 0) return { ok: true, account: existing };
  const updated = await deps.accounts.update(existing.id, fields);
  deps.events?.emit({ type: 'technician.updated', orgId: person.orgId, technicianId: existing.id, username, fields, actor, at: deps.clock() });
  return { ok: true, account: updated };
}
