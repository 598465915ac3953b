/**
 * Roles inside one organisation. Nobody has a role outside their own organisation: every admin operation
 * is scoped to the caller's orgId before the role is looked at. Creating organisations is for the operator
 * (the admin CLI with access to the store), not for any role.
 */
export const roles = ['administrator', 'supervisor', 'technician'] as const;
export type Role = (typeof roles)[number];

/** What an account stored before roles existed is (migration on read). */
export const defaultRole: Role = 'technician';

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

/** The account's role; stores fill it in on read, this covers records built in code. */
export function roleOf(account: { role?: Role }): Role {
  return account.role ?? defaultRole;
}

/** Everything the admin service can be asked to do. The table below says who may. */
export type AdminAction =
  | 'org.read'
  | 'org.update'
  | 'team.read'
  | 'team.manage'
  | 'technician.read'
  /** Create, disable, enable, reset, revoke, move between teams: supervisors only on technicians. */
  | 'technician.manage'
  | 'role.assign'
  | 'policy.read'
  | 'policy.update'
  | 'security.read'
  | 'security.update'
  | 'identity.update';

const allowed: Record<AdminAction, readonly Role[]> = {
  'org.read': ['administrator', 'supervisor', 'technician'],
  'org.update': ['administrator'],
  'team.read': ['administrator', 'supervisor', 'technician'],
  'team.manage': ['administrator'],
  'technician.read': ['administrator', 'supervisor'],
  'technician.manage': ['administrator', 'supervisor'],
  'role.assign': ['administrator'],
  // Technicians see the policy that binds them (the console shows it); only administrators change it.
  'policy.read': ['administrator', 'supervisor', 'technician'],
  'policy.update': ['administrator'],
  'security.read': ['administrator', 'supervisor'],
  'security.update': ['administrator'],
  'identity.update': ['administrator'],
};

export function mayPerform(role: Role, action: AdminAction): boolean {
  return allowed[action].includes(role);
}

/**
 * Whether `actor` may manage an account of role `target` (disable it, reset it, move it). Administrators
 * manage everyone; supervisors only technicians, so a supervisor cannot lock out an administrator.
 */
export function mayManageAccount(actor: Role, target: Role): boolean {
  return actor === 'administrator' || (actor === 'supervisor' && target === 'technician');
}
