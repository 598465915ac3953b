import type { Role } from '../../../protocol/messages.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { LiveSession } from '../live/live-session.js';
import type { SessionPolicy } from '../policy/org-policy.js';
import type { SessionRecord } from '../session/session-record.js';
import type { RelayContext } from '../relay/relay-context.js';

/**
 * Unattended access (issue 15): a customer agent may join saying nobody is at the machine (`unattended`), so
 * its grants come only from what it allowed up front and nobody answers prompts. Only an organisation whose
 * policy says `unattendedAccess: true` accepts that; the default refuses it at the join, before the session
 * is touched (it stays open for an attended join). `pinChecked` runs first: the PIN was right, so the attempt
 * does not count as a wrong guess.
 */
export async function refuseUnattendedUnlessAllowed(ctx: RelayContext, record: SessionRecord | undefined, pinChecked: () => void): Promise<void> {
  // A wrong, used or expired ticket (no record) is left to the claim, which answers it as any wrong PIN (E_PIN_INVALID).
  if (!record) return;
  const policy = await ctx.deps.policies.policyFor(record.orgId);
  if (policy.unattendedAccess) return;
  pinChecked();
  throw new GatewayError('E_FORBIDDEN', "this organisation's policy does not allow unattended access (unattendedAccess: false): someone must be at the machine to accept each request; join without --unattended");
}

/**
 * The join checked the organisation's policy; a team may be stricter. A technician whose team's policy says
 * `unattendedAccess: false` may not pick up a session that nobody attends (refused before the claim, so the
 * session stays waiting for a technician who may). `known` is the local live session, or the record the pickup
 * already read (redirect mode); only without either, a session whose customer is on another gateway, does this
 * cost a registry read, and only under such a policy (the default one is).
 */
export async function refuseUnattendedPickup(ctx: RelayContext, guid: string, known: LiveSession | SessionRecord | null | undefined, policy: SessionPolicy): Promise<void> {
  if (policy.unattendedAccess) return;
  const unattended = known ? known.unattended === true : (await ctx.deps.registry.getSession(guid))?.unattended === true;
  if (unattended) {
    throw new GatewayError('E_FORBIDDEN', "your team's policy does not allow unattended access (unattendedAccess: false): nobody is at this session's machine");
  }
}

/** What a participant's `state: active` says about it: technicians are told that nobody is at the machine. */
export function unattendedFor(session: LiveSession, role: Role): { unattended?: true } {
  return session.unattended && role === 'technician' ? { unattended: true } : {};
}
