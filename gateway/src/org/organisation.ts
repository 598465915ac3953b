import type { Role } from '../auth/roles.js';
import type { PolicyOverrides } from '../policy/org-policy.js';
import type { FormField } from '../../../protocol/pre-session-form.js';

export interface Team {
  id: string;
  name: string;
}

/** Login and request controls an organisation's administrators set. */
export interface OrgSecurity {
  /** Every account of the organisation needs a second factor (TOTP); those without one enrol at their next login. */
  requireTotp: boolean;
  /** CIDR blocks (IPv4 and IPv6) technicians may log in and work from; empty = anywhere. */
  allowList: string[];
  /** Minutes without a request after which a token dies (inactivity logout); null = the gateway's default. */
  idleMinutes: number | null;
}

/** Group-to-role and group-to-team mapping shared by LDAP and OpenID Connect. */
export interface GroupMapping {
  /** Group (LDAP DN or OIDC group name) → role. A person in several gets the highest; in none, no login. */
  roles: Record<string, Role>;
  /** Group → team id; the first group of the person that has a team wins. */
  teams: Record<string, string>;
}

/** LDAP / Active Directory login (auth/ldap-login.ts). */
export interface LdapSettings {
  /** ldap:// or ldaps:// */
  url: string;
  /** Upgrade an ldap:// connection with StartTLS (RFC 4513 §3) before any password is sent. */
  startTls: boolean;
  /** The account that searches for the person (read-only); its password is write-only in the admin API. */
  bindDn: string;
  bindPassword: string;
  /** Where people are, and the filter that finds one; `{username}` is replaced, escaped (RFC 4515). */
  searchBase: string;
  searchFilter: string;
  /** Where groups are, and the filter for the person's groups; `{dn}` is the person's DN, escaped. */
  groupSearchBase: string;
  groupFilter: string;
  /** Attribute for the display name. */
  nameAttribute: string;
  groups: GroupMapping;
  /** PEM of the CA for ldaps:// or StartTLS, when the directory's certificate is private. */
  caPem?: string;
}

/** OpenID Connect single sign-on (auth/oidc-login.ts). */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** Write-only in the admin API. */
  clientSecret: string;
  /** The gateway's callback URL as registered at the provider: https://<gateway>/v1/auth/oidc/callback */
  redirectUri: string;
  /** Scopes asked for; must include openid (and whatever makes the provider send the groups claim). */
  scope: string;
  /** The ID-token (or userinfo) claim with the person's groups (often "groups"). */
  groupsClaim: string;
  groups: GroupMapping;
}

/** SAML 2.0 single sign-on, Web Browser SSO profile (auth/saml-login.ts). */
export interface SamlSettings {
  /** The identity provider's single sign-on URL (HTTP-Redirect binding). */
  entryPoint: string;
  /** The identity provider's entity id (the Issuer of its responses). */
  idpIssuer: string;
  /** PEM certificate(s) the identity provider signs with. */
  idpCert: string;
  /** This gateway's entity id as registered at the provider (the Audience it must name). */
  spEntityId: string;
  /** The gateway's assertion consumer URL: https://<gateway>/v1/auth/saml/acs */
  callbackUrl: string;
  /** Attribute with the person's groups, and the one with their display name. */
  groupsAttribute: string;
  nameAttribute: string;
  groups: GroupMapping;
}

/**
 * An organisation's own record. Organisations exist implicitly through their accounts' orgId; the record is
 * made on the first change (name, team, policy…), and until then every setting is its default.
 */
export interface Organisation {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  teams: Team[];
  policy: PolicyOverrides;
  /** Team id → its policy overrides. */
  teamPolicies: Record<string, PolicyOverrides>;
  security: OrgSecurity;
  ldap: LdapSettings | null;
  oidc: OidcSettings | null;
  saml: SamlSettings | null;
  /** Questions a customer answers before joining the queue (protocol/pre-session-form.ts); [] = none. */
  preSessionForm: FormField[];
}

export function newOrganisation(id: string, now: number): Organisation {
  return {
    id,
    name: id,
    createdAt: now,
    updatedAt: now,
    teams: [],
    policy: {},
    teamPolicies: {},
    security: { requireTotp: false, allowList: [], idleMinutes: null },
    ldap: null,
    oidc: null,
    saml: null,
    preSessionForm: [],
  };
}

/** Fills fields added after a record was written (migration on read), like the account stores do. */
export function migrateOrganisation(stored: Organisation): Organisation {
  const fresh = newOrganisation(stored.id, stored.createdAt);
  return { ...fresh, ...stored, security: { ...fresh.security, ...stored.security } };
}

/** Where organisation records live: the file in the data folder or Redis, like accounts (and beside them). */
export interface OrgStore {
  get(id: string): Promise<Organisation | null>;
  list(): Promise<Organisation[]>;
  /**
   * Applies `change` to a private copy of the current record (a new default one when there is none) and
   * stores it atomically against concurrent writers (another gateway, the CLI). A change that throws stores
   * nothing. Returns the stored record.
   */
  update(id: string, change: (org: Organisation) => void, now: number): Promise<Organisation>;
  close(): Promise<void>;
}
