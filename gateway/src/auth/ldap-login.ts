import { Client, InvalidCredentialsError } from 'ldapts';
import * as v from 'valibot';
import { checkedInput } from '../errors/checked-input.js';
import { GatewayError } from '../errors/gateway-error.js';
import { groupMappingSchema } from '../org/group-mapping.js';
import type { LdapSettings } from '../org/organisation.js';
import type { LoginAttempt, LoginOutcome } from './auth-service.js';
import { completeDirectoryLogin, type DirectoryLoginDeps } from './directory-accounts.js';

const dn = v.pipe(v.string(), v.minLength(1), v.maxLength(1024));

const ldapSettingsSchema = v.strictObject({
  url: v.pipe(v.string(), v.regex(/^ldaps?:\/\/[^\s/]+\/?$/, 'an ldap:// or ldaps:// URL without a path')),
  startTls: v.optional(v.boolean(), false),
  bindDn: dn,
  bindPassword: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)),
  searchBase: dn,
  searchFilter: v.optional(v.pipe(v.string(), v.maxLength(1024), v.check((f) => f.includes('{username}'), 'must contain {username}')), '(uid={username})'),
  groupSearchBase: dn,
  groupFilter: v.optional(v.pipe(v.string(), v.maxLength(1024), v.check((f) => f.includes('{dn}'), 'must contain {dn}')), '(|(member={dn})(uniqueMember={dn}))'),
  nameAttribute: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/)), 'cn'),
  groups: groupMappingSchema,
  caPem: v.optional(v.pipe(v.string(), v.maxLength(64 * 1024), v.regex(/-----BEGIN CERTIFICATE-----/))),
});

/** Checks LDAP settings from the admin API; throws E_BAD_REQUEST naming the field. */
export function parseLdapSettings(input: unknown): LdapSettings {
  const settings = checkedInput(ldapSettingsSchema, input, 'ldap');
  if (settings.url.startsWith('ldap://') && !settings.startTls && !/^ldap:\/\/(127\.|\[::1\]|localhost)/.test(settings.url)) {
    // Passwords would cross the network in clear.
    throw new GatewayError('E_BAD_REQUEST', 'ldap: use ldaps:// or startTls for a directory that is not on this machine');
  }
  return settings as LdapSettings;
}

/** RFC 4515 §3: the characters a value inside a filter must escape. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export interface LdapLoginDeps extends DirectoryLoginDeps {
  /** Per LDAP operation (connect, bind, search), ms. */
  timeoutMs?: number;
}

/**
 * LDAP / Active Directory login for an organisation that set it up: find the person with the service
 * account, bind as them with the password (the directory checks it), read their groups, map groups to a
 * role and team (org/group-mapping.ts), then finish like any login (allow-list, second factor, token).
 * Lockout and rate limits are AuthService's, so a wrong directory password counts like a wrong local one.
 */
export class LdapLogin {
  readonly #d: LdapLoginDeps;

  constructor(deps: LdapLoginDeps) {
    this.#d = deps;
  }

  async login(orgId: string, username: string, password: string, sourceIp: string): Promise<LoginOutcome> {
    const login = String(username).slice(0, 256).normalize('NFC').toLowerCase();
    const attempt = await this.#d.auth.admitAttempt(`${login}@${orgId}`, sourceIp, { localPasswordCheck: false });
    const settings = (await this.#d.orgs.get(orgId))?.ldap;
    // The same answer as a wrong password: whether an organisation uses LDAP is nobody's business.
    if (!settings) return this.#d.auth.failAttempt(attempt, sourceIp, 'ldap_not_configured');
    // RFC 4513 §5.1.2: a bind with an empty password is an unauthenticated bind, which servers "succeed".
    if (typeof password !== 'string' || password.length === 0) return this.#d.auth.failAttempt(attempt, sourceIp, 'empty_password');

    // One connection, rebound as each identity in turn (RFC 4511 §4.2 allows a bind at any time).
    const outcome = await this.#withClient(settings, attempt, async (client) => {
      await client.bind(settings.bindDn, settings.bindPassword);
      const filter = settings.searchFilter.replaceAll('{username}', escapeFilterValue(login));
      const { searchEntries } = await client.search(settings.searchBase, { scope: 'sub', filter, attributes: [settings.nameAttribute], sizeLimit: 2 });
      const found = searchEntries.length === 1 ? searchEntries[0]! : null;
      // Unknown people are bound too (a DN that does not exist), so they answer after the same round trips.
      try {
        await client.bind(found?.dn ?? `cn=relaydesk-no-such-person,${settings.searchBase}`, password);
      } catch (err) {
        if (err instanceof InvalidCredentialsError) return { found, bound: false, groups: [] };
        throw err;
      }
      if (!found) return { found, bound: false, groups: [] };
      // Groups are read as the service account: people often may not search the group tree themselves.
      await client.bind(settings.bindDn, settings.bindPassword);
      const groupFilter = settings.groupFilter.replaceAll('{dn}', escapeFilterValue(found.dn));
      const groups = await client.search(settings.groupSearchBase, { scope: 'sub', filter: groupFilter, attributes: ['cn'], sizeLimit: 500 });
      return { found, bound: true, groups: groups.searchEntries.map((e) => e.dn) };
    });
    const { found, bound, groups } = outcome;
    if (!found || !bound) return this.#d.auth.failAttempt(attempt, sourceIp, found ? 'bad_password' : 'unknown_user');

    const nameValue = found[settings.nameAttribute];
    const displayName = (Array.isArray(nameValue) ? nameValue[0] : nameValue)?.toString() ?? login;
    return completeDirectoryLogin(this.#d, attempt, { orgId, source: 'ldap', login, externalId: found.dn, displayName, groups, mapping: settings.groups }, sourceIp);
  }

  /**
   * A connection for one login, always unbound. A directory that does not answer is E_DIRECTORY_UNAVAILABLE,
   * and the attempt counts for nothing (nobody guessed anything).
   */
  async #withClient<T>(settings: LdapSettings, attempt: LoginAttempt, work: (client: Client) => Promise<T>): Promise<T> {
    const timeout = this.#d.timeoutMs ?? 5_000;
    const tlsOptions = settings.caPem ? { ca: settings.caPem } : undefined;
    const client = new Client({ url: settings.url, timeout, connectTimeout: timeout, tlsOptions });
    try {
      if (settings.startTls) await client.startTLS(tlsOptions ?? {});
      return await work(client);
    } catch (err) {
      attempt.reservation.cancel();
      if (err instanceof GatewayError) throw err;
      this.#d.log.error('ldap_unavailable', { url: settings.url, err });
      throw new GatewayError('E_DIRECTORY_UNAVAILABLE');
    } finally {
      await client.unbind().catch(() => {});
    }
  }
}
