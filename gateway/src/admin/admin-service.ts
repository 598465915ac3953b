import { randomUUID } from 'node:crypto';
import * as v from 'valibot';
import type { Clock } from '../clock.js';
import { checkedInput } from '../errors/checked-input.js';
import { GatewayError } from '../errors/gateway-error.js';
import { displayNameProblem, normalizeUsername, orgIdProblem, teamIdProblem, usernameProblem } from '../auth/account-names.js';
import type { AccountStore, DirectoryProvider, TechnicianAccount } from '../auth/account-store.js';
import type { AdminActor, AdminChange, AdminEvents } from '../auth/admin-events.js';
import { IpAllowList, parseAllowList } from '../auth/ip-allow-list.js';
import { generatePassword, hashPassword, type ScryptParams } from '../auth/password.js';
import { isRole, mayManageAccount, mayPerform, roleOf, type AdminAction, type Role } from '../auth/roles.js';
import { newOrganisation, type Organisation, type OrgSecurity, type OrgStore } from '../org/organisation.js';
import { effectivePolicy, parsePolicyOverrides, type PolicyOverrides, type SessionPolicy } from '../policy/org-policy.js';
import { formFieldsSchema, type FormField } from '../../../protocol/pre-session-form.js';

export interface AdminServiceDeps {
  accounts: AccountStore;
  orgs: OrgStore;
  events: AdminEvents;
  clock: Clock;
  /** Cost of new password hashes; the default of auth/password.ts unless a test wants it cheaper. */
  scryptParams?: ScryptParams;
  /** Checks identity-provider settings (auth/ldap-login.ts, auth/oidc-login.ts own their schemas). */
  identityProviders?: { [P in DirectoryProvider]?: (input: unknown) => NonNullable<Organisation[P]> };
}

/** An account as the admin API shows it: never a hash, secret or recovery code. */
export interface PublicAccount {
  id: string;
  username: string;
  orgId: string;
  displayName: string;
  role: Role;
  teamId: string | null;
  disabled: boolean;
  createdAt: number;
  source: string;
  secondFactor: 'totp' | 'none';
  recoveryCodesLeft: number;
}

/** An organisation as the admin API shows it to one actor (see publicOrganisation). */
export type OrganisationView = Partial<Organisation> & Pick<Organisation, 'id' | 'name' | 'teams' | 'policy' | 'teamPolicies'>;

export interface TechnicianInput {
  username: string;
  displayName?: string;
  role?: Role;
  teamId?: string | null;
}

export interface TechnicianPatch {
  displayName?: string;
  role?: Role;
  teamId?: string | null;
  disabled?: boolean;
}

/** What a change to a policy does to sessions already running: said in every answer, so nobody has to guess. */
export const policyChangeEffect =
  'applies to sessions created from now on; running sessions keep the policy they started with until they end';

const securitySchema = v.strictObject({
  requireTotp: v.optional(v.boolean()),
  allowList: v.optional(v.unknown()),
  idleMinutes: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(24 * 60)))),
});

/**
 * Organisations, teams, technicians, roles and policies: the one place where they change, for the HTTP
 * admin API and the admin CLI alike. Every operation checks the actor's role (auth/roles.ts) inside the
 * actor's own organisation (another organisation's things are "not found", never "forbidden"), then makes
 * the change and emits one event on `events`.
 */
export class AdminService {
  readonly #d: AdminServiceDeps;

  constructor(deps: AdminServiceDeps) {
    this.#d = deps;
  }

  // Organisations

  /** Names an organisation (making its record). Operator only: no role spans organisations. */
  async createOrganisation(actor: AdminActor, orgId: string, name: string): Promise<OrganisationView> {
    if (actor.kind !== 'operator') throw new GatewayError('E_FORBIDDEN', 'organisations are created by the operator');
    const problem = orgIdProblem(orgId);
    if (problem) throw new GatewayError('E_BAD_REQUEST', problem);
    checkName(name, 'name');
    const org = await this.#d.orgs.update(orgId, (o) => void (o.name = name), this.#d.clock());
    this.#emit(actor, { type: 'org.updated', orgId, fields: ['name'] });
    return publicOrganisation(org, actor);
  }

  async getOrganisation(actor: AdminActor, orgId: string): Promise<OrganisationView> {
    this.#require(actor, orgId, 'org.read');
    return publicOrganisation((await this.#d.orgs.get(orgId)) ?? newOrganisation(orgId, this.#d.clock()), actor);
  }

  async renameOrganisation(actor: AdminActor, orgId: string, name: string): Promise<OrganisationView> {
    this.#require(actor, orgId, 'org.update');
    checkName(name, 'name');
    const org = await this.#d.orgs.update(orgId, (o) => void (o.name = name), this.#d.clock());
    this.#emit(actor, { type: 'org.updated', orgId, fields: ['name'] });
    return publicOrganisation(org, actor);
  }

  // Pre-session form

  /** The questions customers answer before joining the queue (protocol/pre-session-form.ts). */
  async getPreSessionForm(actor: AdminActor, orgId: string): Promise<FormField[]> {
    this.#require(actor, orgId, 'org.read');
    return (await this.#d.orgs.get(orgId))?.preSessionForm ?? [];
  }

  /** Replaces the form ([] removes it); applies to customers who join from now on. */
  async setPreSessionForm(actor: AdminActor, orgId: string, input: unknown): Promise<FormField[]> {
    this.#require(actor, orgId, 'org.update');
    const fields = checkedInput(formFieldsSchema, input, 'form');
    const org = await this.#d.orgs.update(orgId, (o) => void (o.preSessionForm = fields), this.#d.clock());
    this.#emit(actor, { type: 'org.updated', orgId, fields: ['preSessionForm'] });
    return org.preSessionForm;
  }

  // Teams

  async listTeams(actor: AdminActor, orgId: string): Promise<Organisation['teams']> {
    this.#require(actor, orgId, 'team.read');
    return (await this.#d.orgs.get(orgId))?.teams ?? [];
  }

  async createTeam(actor: AdminActor, orgId: string, teamId: string, name: string): Promise<Organisation['teams'][number]> {
    this.#require(actor, orgId, 'team.manage');
    const problem = teamIdProblem(teamId);
    if (problem) throw new GatewayError('E_BAD_REQUEST', problem);
    checkName(name, 'name');
    await this.#d.orgs.update(orgId, (o) => {
      if (o.teams.some((t) => t.id === teamId)) throw new GatewayError('E_CONFLICT', `a team "${teamId}" exists`);
      o.teams.push({ id: teamId, name });
    }, this.#d.clock());
    this.#emit(actor, { type: 'team.created', orgId, teamId });
    return { id: teamId, name };
  }

  /** Deletes a team and its policy; its members fall back to the organisation's policy. */
  async deleteTeam(actor: AdminActor, orgId: string, teamId: string): Promise<void> {
    this.#require(actor, orgId, 'team.manage');
    await this.#d.orgs.update(orgId, (o) => {
      if (!o.teams.some((t) => t.id === teamId)) throw new GatewayError('E_NOT_FOUND', `no team "${teamId}"`);
      o.teams = o.teams.filter((t) => t.id !== teamId);
      delete o.teamPolicies[teamId];
    }, this.#d.clock());
    this.#emit(actor, { type: 'team.deleted', orgId, teamId });
  }

  // Technicians

  /** The operator (orgId null) sees every organisation's accounts. */
  async listTechnicians(actor: AdminActor, orgId: string | null): Promise<PublicAccount[]> {
    if (orgId === null) {
      if (actor.kind !== 'operator') throw new GatewayError('E_FORBIDDEN');
    } else this.#require(actor, orgId, 'technician.read');
    return (await this.#d.accounts.list()).filter((a) => orgId === null || a.orgId === orgId).map(publicAccount);
  }

  async getTechnician(actor: AdminActor, orgId: string | null, username: string): Promise<PublicAccount> {
    return publicAccount(await this.#find(actor, orgId, username, 'technician.read'));
  }

  /** Creates a local account; returns it with a one-time password (shown once, never stored in clear). */
  async createTechnician(actor: AdminActor, orgId: string, input: TechnicianInput): Promise<{ technician: PublicAccount; password: string }> {
    this.#require(actor, orgId, 'technician.manage');
    const username = checkUsername(input.username);
    const role = input.role ?? 'technician';
    if (!isRole(role)) throw new GatewayError('E_BAD_REQUEST', '"role" must be administrator, supervisor or technician');
    this.#requireManage(actor, role);
    const displayName = input.displayName ?? username;
    const nameError = displayNameProblem(displayName);
    if (nameError) throw new GatewayError('E_BAD_REQUEST', `bad display name: ${nameError}`);
    const teamId = await this.#checkTeam(orgId, input.teamId ?? null);
    if (await this.#d.accounts.getByUsername(username)) throw new GatewayError('E_CONFLICT', `a technician named "${username}" already exists`);
    const password = generatePassword();
    const account: TechnicianAccount = {
      id: randomUUID(),
      username,
      orgId,
      displayName,
      passwordHash: await hashPassword(password, this.#d.scryptParams),
      disabled: false,
      tokenEpoch: 0,
      createdAt: this.#d.clock(),
      role,
      teamId,
      source: 'local',
    };
    try {
      await this.#d.accounts.create(account);
    } catch (err) {
      // Another admin created the same name between our check and the write.
      if (err instanceof GatewayError && err.code === 'E_BAD_REQUEST') throw new GatewayError('E_CONFLICT', `a technician named "${username}" already exists`);
      throw err;
    }
    this.#emit(actor, { type: 'technician.created', orgId, technicianId: account.id, username, role, source: 'local' });
    return { technician: publicAccount(account), password };
  }

  /** Changes name, team, role or disabled. Disabling also revokes tokens, so re-enabling does not bring them back. */
  async updateTechnician(actor: AdminActor, orgId: string | null, username: string, patch: TechnicianPatch): Promise<PublicAccount> {
    const account = await this.#find(actor, orgId, username, 'technician.manage');
    this.#requireManage(actor, roleOf(account));
    const change: Partial<TechnicianAccount> = {};
    const fields: Record<string, unknown> = {};
    if (patch.displayName !== undefined) {
      const problem = typeof patch.displayName === 'string' ? displayNameProblem(patch.displayName) : 'a string';
      if (problem) throw new GatewayError('E_BAD_REQUEST', `bad display name: ${problem}`);
      change.displayName = fields.displayName = patch.displayName;
    }
    if (patch.role !== undefined) {
      if (!isRole(patch.role)) throw new GatewayError('E_BAD_REQUEST', '"role" must be administrator, supervisor or technician');
      this.#require(actor, account.orgId, 'role.assign');
      if (actor.kind === 'account' && actor.technicianId === account.id && patch.role !== 'administrator') {
        // Otherwise the last administrator can demote itself and leave nobody to undo it.
        throw new GatewayError('E_FORBIDDEN', 'an administrator cannot change its own role');
      }
      change.role = fields.role = patch.role;
    }
    if (patch.teamId !== undefined) change.teamId = fields.teamId = await this.#checkTeam(account.orgId, patch.teamId);
    if (patch.disabled !== undefined) {
      if (typeof patch.disabled !== 'boolean') throw new GatewayError('E_BAD_REQUEST', '"disabled" must be true or false');
      if (actor.kind === 'account' && actor.technicianId === account.id && patch.disabled) throw new GatewayError('E_FORBIDDEN', 'you cannot disable yourself');
      change.disabled = fields.disabled = patch.disabled;
      if (patch.disabled) change.tokenEpoch = account.tokenEpoch + 1;
    }
    if (Object.keys(fields).length === 0) throw new GatewayError('E_BAD_REQUEST', 'nothing to change: give displayName, role, teamId or disabled');
    const updated = await this.#d.accounts.update(account.id, change);
    this.#emit(actor, { type: 'technician.updated', orgId: account.orgId, technicianId: account.id, username: account.username, fields });
    return publicAccount(updated);
  }

  /** A new one-time password; every token of the account is revoked. */
  async resetPassword(actor: AdminActor, orgId: string | null, username: string): Promise<{ technician: PublicAccount; password: string }> {
    const account = await this.#find(actor, orgId, username, 'technician.manage');
    this.#requireManage(actor, roleOf(account));
    if ((account.source ?? 'local') !== 'local') throw new GatewayError('E_BAD_REQUEST', `"${account.username}" logs in through ${account.source}; reset it there`);
    const password = generatePassword();
    const updated = await this.#d.accounts.update(account.id, { passwordHash: await hashPassword(password, this.#d.scryptParams), tokenEpoch: account.tokenEpoch + 1 });
    this.#emit(actor, { type: 'technician.password_reset', orgId: account.orgId, technicianId: account.id, username: account.username });
    return { technician: publicAccount(updated), password };
  }

  async revokeTokens(actor: AdminActor, orgId: string | null, username: string): Promise<PublicAccount> {
    const account = await this.#find(actor, orgId, username, 'technician.manage');
    this.#requireManage(actor, roleOf(account));
    const updated = await this.#d.accounts.update(account.id, { tokenEpoch: account.tokenEpoch + 1 });
    this.#emit(actor, { type: 'technician.tokens_revoked', orgId: account.orgId, technicianId: account.id, username: account.username });
    return publicAccount(updated);
  }

  /** Removes the account's second factor (lost phone); it enrols again at its next login if the organisation requires it. */
  async resetSecondFactor(actor: AdminActor, orgId: string | null, username: string): Promise<PublicAccount> {
    const account = await this.#find(actor, orgId, username, 'technician.manage');
    this.#requireManage(actor, roleOf(account));
    const updated = await this.#d.accounts.update(account.id, { totp: null, recoveryCodes: [], tokenEpoch: account.tokenEpoch + 1 });
    this.#emit(actor, { type: 'second_factor.removed', orgId: account.orgId, technicianId: account.id, username: account.username });
    return publicAccount(updated);
  }

  // Policies

  /** The stored overrides and the policy that results (what the console shows). teamId null: the organisation's. */
  async getPolicy(actor: AdminActor, orgId: string, teamId: string | null): Promise<{ overrides: PolicyOverrides; effective: SessionPolicy }> {
    this.#require(actor, orgId, 'policy.read');
    const org = await this.#d.orgs.get(orgId);
    if (teamId !== null && !org?.teams.some((t) => t.id === teamId)) throw new GatewayError('E_NOT_FOUND', `no team "${teamId}"`);
    const overrides = (teamId === null ? org?.policy : org?.teamPolicies[teamId]) ?? {};
    return { overrides, effective: effectivePolicy(org?.policy, teamId === null ? undefined : overrides) };
  }

  /** Replaces the overrides of the organisation (teamId null) or of one team. */
  async setPolicy(actor: AdminActor, orgId: string, teamId: string | null, input: unknown): Promise<{ overrides: PolicyOverrides; effective: SessionPolicy; runningSessions: string }> {
    this.#require(actor, orgId, 'policy.update');
    const overrides = parsePolicyOverrides(input);
    const org = await this.#d.orgs.update(orgId, (o) => {
      if (teamId === null) o.policy = overrides;
      else {
        if (!o.teams.some((t) => t.id === teamId)) throw new GatewayError('E_NOT_FOUND', `no team "${teamId}"`);
        o.teamPolicies[teamId] = overrides;
      }
    }, this.#d.clock());
    this.#emit(actor, { type: 'policy.updated', orgId, teamId, policy: overrides });
    return { overrides, effective: effectivePolicy(org.policy, teamId === null ? undefined : overrides), runningSessions: policyChangeEffect };
  }

  // Login security and identity providers

  async getSecurity(actor: AdminActor, orgId: string): Promise<OrgSecurity> {
    this.#require(actor, orgId, 'security.read');
    return ((await this.#d.orgs.get(orgId)) ?? newOrganisation(orgId, 0)).security;
  }

  /** Changes the fields given (requireTotp, allowList, idleMinutes); the rest stay. */
  async setSecurity(actor: AdminActor, orgId: string, input: unknown): Promise<OrgSecurity> {
    this.#require(actor, orgId, 'security.update');
    const given = checkedInput(securitySchema, input, 'security');
    const allowList = given.allowList === undefined ? undefined : parseAllowList(given.allowList);
    if (actor.kind === 'account' && allowList && allowList.length > 0) {
      // Saving a list that excludes the administrator's own address would lock them out at once.
      if (!new IpAllowList(allowList).allows(actor.sourceIp)) {
        throw new GatewayError('E_BAD_REQUEST', `the allow-list must include your own address (${actor.sourceIp})`);
      }
    }
    const org = await this.#d.orgs.update(orgId, (o) => {
      if (given.requireTotp !== undefined) o.security.requireTotp = given.requireTotp;
      if (allowList !== undefined) o.security.allowList = allowList;
      if (given.idleMinutes !== undefined) o.security.idleMinutes = given.idleMinutes;
    }, this.#d.clock());
    this.#emit(actor, { type: 'security.updated', orgId, ...org.security });
    return org.security;
  }

  /** Turns LDAP, OpenID Connect or SAML login on (settings) or off (null). */
  async setIdentityProvider<P extends DirectoryProvider>(actor: AdminActor, orgId: string, provider: P, input: unknown): Promise<OrganisationView> {
    this.#require(actor, orgId, 'identity.update');
    let settings: Organisation[P] | null = null;
    if (input !== null) {
      const parse = this.#d.identityProviders?.[provider];
      if (!parse) throw new GatewayError('E_BAD_REQUEST', `${provider} login is not available on this gateway`);
      settings = parse(input) as Organisation[P];
    }
    const org = await this.#d.orgs.update(orgId, (o) => void (o[provider] = settings as Organisation[P]), this.#d.clock());
    this.#emit(actor, { type: 'identity_provider.updated', orgId, provider, enabled: settings !== null });
    return publicOrganisation(org, actor);
  }

  // Checks

  /** The actor may do `action` in `orgId`: the operator always, an account only in its own organisation with the role. */
  #require(actor: AdminActor, orgId: string, action: AdminAction): void {
    if (actor.kind === 'operator') return;
    if (actor.orgId !== orgId) throw new GatewayError('E_NOT_FOUND', 'no such organisation');
    if (!mayPerform(actor.role, action)) throw new GatewayError('E_FORBIDDEN', `a ${actor.role} may not do ${action}`);
  }

  #requireManage(actor: AdminActor, target: Role): void {
    if (actor.kind === 'account' && !mayManageAccount(actor.role, target)) {
      throw new GatewayError('E_FORBIDDEN', `a ${actor.role} may not manage a ${target}`);
    }
  }

  async #find(actor: AdminActor, orgId: string | null, username: string, action: AdminAction): Promise<TechnicianAccount> {
    const scope = actor.kind === 'operator' ? orgId : actor.orgId;
    if (scope !== null) this.#require(actor, scope, action);
    const name = checkUsername(username);
    const account = await this.#d.accounts.getByUsername(name);
    // Another organisation's account is "not found", so names do not leak across organisations.
    if (!account || (scope !== null && account.orgId !== scope)) throw new GatewayError('E_NOT_FOUND', `no technician named "${name}"`);
    return account;
  }

  async #checkTeam(orgId: string, teamId: unknown): Promise<string | null> {
    if (teamId === null) return null;
    if (typeof teamId !== 'string') throw new GatewayError('E_BAD_REQUEST', '"teamId" must be a team id or null');
    const org = await this.#d.orgs.get(orgId);
    if (!org?.teams.some((t) => t.id === teamId)) throw new GatewayError('E_NOT_FOUND', `no team "${teamId}"`);
    return teamId;
  }

  #emit(actor: AdminActor, change: AdminChange): void {
    this.#d.events.emit({ ...change, actor, at: this.#d.clock() });
  }
}

function checkUsername(input: unknown): string {
  if (typeof input !== 'string') throw new GatewayError('E_BAD_REQUEST', '"username" must be a string');
  const username = normalizeUsername(input.slice(0, 256));
  const problem = usernameProblem(username);
  if (problem) throw new GatewayError('E_BAD_REQUEST', `bad username: ${problem}`);
  return username;
}

function checkName(name: unknown, field: string): void {
  const problem = typeof name === 'string' ? displayNameProblem(name) : 'a string';
  if (problem) throw new GatewayError('E_BAD_REQUEST', `"${field}": ${problem}`);
}

/**
 * The organisation as `actor` may see it: login security only for those who may read it, directory settings
 * only for administrators, and write-only secrets as "[set]" even to them.
 */
function publicOrganisation(org: Organisation, actor: AdminActor): OrganisationView {
  const may = (action: AdminAction) => actor.kind === 'operator' || mayPerform(actor.role, action);
  const { security, ldap, oidc, saml, ...shared } = org;
  return {
    ...shared,
    ...(may('security.read') ? { security } : {}),
    ...(may('identity.update')
      ? { ldap: ldap && { ...ldap, bindPassword: '[set]' }, oidc: oidc && { ...oidc, clientSecret: '[set]' }, saml }
      : {}),
  };
}

export function publicAccount(a: TechnicianAccount): PublicAccount {
  return {
    id: a.id,
    username: a.username,
    orgId: a.orgId,
    displayName: a.displayName,
    role: roleOf(a),
    teamId: a.teamId ?? null,
    disabled: a.disabled,
    createdAt: a.createdAt,
    source: a.source ?? 'local',
    secondFactor: a.totp?.confirmed ? 'totp' : 'none',
    recoveryCodesLeft: a.recoveryCodes?.length ?? 0,
  };
}
