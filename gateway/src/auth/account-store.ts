import { defaultRole, type Role } from './roles.js';

/** A confirmed or pending TOTP enrolment (auth/totp.ts). */
export interface TotpEnrolment {
  /** Base32 secret; needed in clear to compute codes, so the store is as sensitive as the data folder. */
  secret: string;
  /** False until the technician has proved the authenticator with one code. */
  confirmed: boolean;
  /** Last accepted RFC 6238 time step: a code is accepted once (replay protection). */
  lastStep: number;
}

/** Where the account's identity comes from. Directory accounts are made on first login and cannot use a password. */
/** Directories an account can come from (auth/ldap-login.ts, oidc-login.ts, saml-login.ts). */
export type DirectoryProvider = 'ldap' | 'oidc' | 'saml';
export type AccountSource = 'local' | DirectoryProvider;

/** A technician account. `passwordHash` is a self-describing scrypt string (see auth/password.ts). */
export interface TechnicianAccount {
  id: string;
  username: string;
  orgId: string;
  displayName: string;
  passwordHash: string;
  disabled: boolean;
  /** Bumped by password reset / disable: tokens issued under an older epoch stop working. */
  tokenEpoch: number;
  createdAt: number;
  // Optional so that records written before these fields (and writers that predate them) stay valid:
  // the stores fill in `role` on read ("technician"), absent teamId/totp mean none.
  role?: Role;
  /** The team whose policy applies (policy/org-policy.ts); null or absent: the organisation's own. */
  teamId?: string | null;
  totp?: TotpEnrolment | null;
  /** SHA-256 (hex) of each unused recovery code; a used one is removed. */
  recoveryCodes?: string[];
  source?: AccountSource;
  /** The directory's stable id of the person (LDAP DN, OIDC `sub`), for directory accounts. */
  externalId?: string;
}

export type AccountPatch = Partial<Omit<TechnicianAccount, 'id' | 'createdAt'>>;

/**
 * Where technician accounts live. Accounts are durable configuration, not session state: the file store
 * (embedded default, in the data folder) and the Redis store keep them without a TTL.
 */
export interface AccountStore {
  /** Throws GatewayError('E_BAD_REQUEST') when the username is taken. */
  create(account: TechnicianAccount): Promise<void>;
  getByUsername(username: string): Promise<TechnicianAccount | null>;
  getById(id: string): Promise<TechnicianAccount | null>;
  list(): Promise<TechnicianAccount[]>;
  /** Throws GatewayError('E_BAD_REQUEST') when there is no such account. */
  update(id: string, patch: AccountPatch): Promise<TechnicianAccount>;
  close(): Promise<void>;
}

/** The account as callers see it: every store passes what it read through here (migration on read). */
export function migrateAccount(stored: TechnicianAccount): TechnicianAccount {
  return stored.role ? stored : { ...stored, role: defaultRole };
}
