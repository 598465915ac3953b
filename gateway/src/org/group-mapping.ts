import * as v from 'valibot';
import { roles, type Role } from '../auth/roles.js';
import type { GroupMapping } from './organisation.js';

const maxGroups = 200;
const groupName = v.pipe(v.string(), v.minLength(1), v.maxLength(512));

export const groupMappingSchema = v.strictObject({
  roles: v.pipe(v.record(groupName, v.picklist(roles)), v.check((r) => Object.keys(r).length <= maxGroups, `at most ${maxGroups} groups`)),
  teams: v.optional(
    v.pipe(v.record(groupName, v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9_-]{0,62}$/))), v.check((r) => Object.keys(r).length <= maxGroups, `at most ${maxGroups} groups`)),
    {},
  ),
});

/** Highest first: a person in an administrators' and a technicians' group is an administrator. */
const rank: Record<Role, number> = { administrator: 3, supervisor: 2, technician: 1 };

/**
 * The role and team a directory person gets from their groups, or null when no group of theirs has a role
 * (then they may not log in: being in the directory is not enough). Group names compare case-insensitively,
 * because LDAP DNs do and identity providers differ in case.
 */
export function resolveGroups(mapping: GroupMapping, groups: readonly string[]): { role: Role; teamId: string | null } | null {
  const mine = new Set(groups.map((g) => g.toLowerCase()));
  let role: Role | null = null;
  for (const [group, r] of Object.entries(mapping.roles)) {
    if (mine.has(group.toLowerCase()) && (role === null || rank[r] > rank[role])) role = r;
  }
  if (!role) return null;
  let teamId: string | null = null;
  for (const g of groups) {
    const hit = Object.entries(mapping.teams).find(([group]) => group.toLowerCase() === g.toLowerCase());
    if (hit) {
      teamId = hit[1];
      break;
    }
  }
  return { role, teamId };
}
