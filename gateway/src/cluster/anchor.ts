import { GatewayError } from '../errors/gateway-error.js';
import type { LiveSession } from '../live/live-session.js';
import type { RelayContext } from '../relay/relay-context.js';
import type { SessionRecord } from '../session/session-record.js';
import type { OpenRequest } from './link-stream.js';

/**
 * The cluster's side of a session: which gateway runs it (its anchor), taking it over when that one is gone,
 * and reaching it from elsewhere with a command. Parties are carried to the anchor by SessionRelay.bridge.
 */

/** Redirect mode: a session whose anchor is another live gateway is reached there, not through us. */
export async function redirectIfElsewhere(ctx: RelayContext, record: SessionRecord | null, orgId: string): Promise<void> {
  // Another organisation's (or no) session gets no redirect: that would reveal that the GUID exists, and where.
  if (!record || record.orgId !== orgId) return;
  const anchor = record.anchorGateway;
  if (!anchor || anchor === ctx.options.gatewayId) return;
  const gateway = await ctx.deps.registry.getGateway(anchor);
  if (gateway && !gateway.draining) throw new GatewayError('E_REDIRECT', undefined, gateway.publicUrl);
}

/**
 * The takeover lease: of the gateways that find a session's anchor gone, the first to count
 * `takeover:<guid>:<old anchor>` rewrites the anchor to itself. Null when another gateway has the lease.
 */
export async function takeOver(ctx: RelayContext, record: SessionRecord): Promise<SessionRecord | null> {
  const { registry, log, now } = ctx.deps;
  const from = record.anchorGateway ?? '';
  if ((await registry.hit(`takeover:${record.guid}:${from}`, 60_000)) !== 1) return null;
  const taken = await registry.updateSession(
    record.guid,
    { states: ['waiting', 'active'] },
    { set: { anchorGateway: ctx.options.gatewayId, updatedAt: now() }, ttlMs: record.state === 'active' ? ctx.options.activeTtlMs : undefined },
  );
  if (!taken.ok) throw new GatewayError('E_SESSION_CLOSED');
  log.info('session.taken_over', { guid: record.guid, from });
  return taken.session;
}

/**
 * This gateway becomes the anchor of a session (after a takeover, or a restart under the same id): its
 * participants come back from the registry's copy, all away until they resume.
 */
export function adopt(ctx: RelayContext, record: SessionRecord): LiveSession {
  const session = ctx.openSession(record);
  for (const p of record.participants ?? []) {
    session.apply({ kind: 'add', id: p.id, role: p.role, name: p.name, technicianId: p.technicianId, tokenId: p.tokenId, resumeHash: p.resumeHash, conn: null, how: 'adopt' });
  }
  for (const power of record.grants ?? []) session.grants.add(power);
  session.controller = record.controller ?? null;
  session.everPaired = record.state === 'active';
  session.apply({ kind: 'anchor', from: null, to: ctx.options.gatewayId });
  return session;
}

/**
 * Runs a command at the session's anchor, wherever it is (within a second: one link round trip). False when
 * no live anchor answers (the caller falls back to the registry change alone).
 */
export async function commandAnchor(ctx: RelayContext, record: SessionRecord, command: NonNullable<OpenRequest['command']>): Promise<boolean> {
  const anchor = record.anchorGateway;
  if (!anchor || anchor === ctx.options.gatewayId || !ctx.deps.links) return false;
  const peer = await ctx.deps.registry.getGateway(anchor);
  if (!peer) return false;
  try {
    const stream = await ctx.deps.links.openStream(peer, { guid: record.guid, orgId: record.orgId, role: 'technician', mode: 'command', command });
    stream.close(1000, 'done');
    return true;
  } catch {
    return false;
  }
}

/** Runs a command at every other live gateway (a technician whose access ended may be in sessions anywhere). */
export async function commandEveryGateway(ctx: RelayContext, command: NonNullable<OpenRequest['command']>): Promise<void> {
  if (!ctx.deps.links) return;
  const gateways = await ctx.deps.registry.listGateways();
  await Promise.all(
    gateways
      .filter((g) => g.id !== ctx.options.gatewayId)
      .map((g) =>
        ctx.deps.links!.openStream(g, { guid: '', orgId: '', role: 'technician', mode: 'command', command }).then(
          (stream) => stream.close(1000, 'done'),
          (err: unknown) => ctx.deps.log.warn('cluster.command_failed', { gateway: g.id, command: command.kind, err }),
        ),
      ),
  );
}
