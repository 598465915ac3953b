import type { TemplatedApp } from 'uWebSockets.js';
import type { AdminService, TechnicianPatch } from '../admin/admin-service.js';
import type { AdminActor } from '../auth/admin-events.js';
import type { Principal } from '../auth/auth-service.js';
import type { Role } from '../auth/roles.js';
import { GatewayError } from '../errors/gateway-error.js';
import { bearerToken, objectBody, pathParam, route, type HttpDeps, type RequestContext, type RouteHandler } from './http-io.js';

export interface AdminApiDeps extends HttpDeps {
  /** Resolves the bearer token and checks the caller's address against its organisation's allow-list. */
  authenticate: (token: string, sourceIp: string) => Promise<Principal>;
  admin: AdminService;
}

/**
 * The HTTP admin API (docs/protocol.md, "Admin API"): everything is scoped to the caller's own organisation,
 * and every endpoint's role check happens in AdminService, the same code the admin CLI runs.
 */
export function registerAdminApi(app: TemplatedApp, deps: AdminApiDeps): void {
  for (const r of adminRoutes(deps)) route(app, r.method, r.pattern, `admin_${r.name}`, r.handler, deps);
}

export interface AdminRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'del';
  pattern: string;
  name: string;
  handler: RouteHandler;
}

/** Every admin endpoint, as data: the role-check test walks this list, so a new endpoint cannot go untested. */
export function adminRoutes(deps: Pick<AdminApiDeps, 'authenticate' | 'admin'>): AdminRoute[] {
  const { admin } = deps;
  const routes: AdminRoute[] = [];
  const actorOf = async (ctx: RequestContext): Promise<AdminActor & { kind: 'account' }> => {
    const p = await deps.authenticate(bearerToken(ctx.authorization), ctx.remoteIp);
    return { kind: 'account', technicianId: p.technicianId, username: p.username, orgId: p.orgId, role: p.role, sourceIp: ctx.remoteIp };
  };
  const on = (method: AdminRoute['method'], pattern: string, name: string, handler: RouteHandler) => void routes.push({ method, pattern, name, handler });
  const ok = (body: unknown, status = 200) => ({ status, body });

  on('get', '/v1/admin/org', 'get_org', async (ctx) => {
    const a = await actorOf(ctx);
    return ok(await admin.getOrganisation(a, a.orgId));
  });
  on('patch', '/v1/admin/org', 'update_org', async (ctx) => {
    const a = await actorOf(ctx);
    return ok(await admin.renameOrganisation(a, a.orgId, objectBody(await ctx.body).name as string));
  });

  on('get', '/v1/admin/teams', 'list_teams', async (ctx) => {
    const a = await actorOf(ctx);
    return ok({ teams: await admin.listTeams(a, a.orgId) });
  });
  on('post', '/v1/admin/teams', 'create_team', async (ctx) => {
    const a = await actorOf(ctx);
    const body = objectBody(await ctx.body);
    return ok(await admin.createTeam(a, a.orgId, String(body.id ?? ''), (body.name ?? body.id) as string), 201);
  });
  on('del', '/v1/admin/teams/:team', 'delete_team', async (ctx) => {
    const a = await actorOf(ctx);
    await admin.deleteTeam(a, a.orgId, pathParam(ctx, 0));
    return { status: 204 };
  });
  on('get', '/v1/admin/teams/:team/policy', 'get_team_policy', async (ctx) => {
    const a = await actorOf(ctx);
    return ok(await admin.getPolicy(a, a.orgId, pathParam(ctx, 0)));
  });
  on('put', '/v1/admin/teams/:team/policy', 'set_team_policy', async (ctx) => {
    const a = await actorOf(ctx);
    return ok(await admin.setPolicy(a, a.orgId, pathParam(ctx, 0), (await ctx.body) ?? {}));
  });

  on('get', '/v1/admin/technicians', 'list_technicians', async (ctx) => {
    const a = await actorOf(ctx);
    return ok({ technicians: await admin.listTechnicians(a, a.orgId) });
  });
  on('post', '/v1/admin/technicians', 'create_technician', async (ctx) => {
    const a = await actorOf(ctx);
    const body = objectBody(await ctx.body);
    const created = await admin.createTechnician(a, a.orgId, {
      username: body.username as string,
      displayName: body.displayName as string | undefined,
      role: body.role as Role | undefined,
      teamId: body.teamId as string | null | undefined,
    });
    // The one-time password goes to the administrator once, in this answer; it is never logged.
    return ok(created, 201);
  });
  on('get', '/v1/admin/technicians/:username', 'get_technician', async (ctx) => {
    const a = await actorOf(ctx);
    return ok(await admin.getTechnician(a, a.orgId, pathParam(ctx, 0)));
  });
  on('patch', '/v1/admin/technicians/:username', 'update_technician', async (ctx) => {
    const a = await actorOf(ctx);
    const body = objectBody(await ctx.body);
    const known = ['displayName', 'role', 'teamId', 'disabled'];
    const unknown = Object.keys(body).find((k) => !known.includes(k));
    // A typo ("disable") must not look like a change that silently did nothing.
    if (unknown !== undefined) throw new GatewayError('E_BAD_REQUEST', `unknown field "${unknown.slice(0, 40)}"; known: ${known.join(', ')}`);
    const patch = Object.fromEntries(known.filter((k) => k in body).map((k) => [k, body[k]])) as TechnicianPatch;
    return ok(await admin.updateTechnician(a, a.orgId, pathParam(ctx, 0), patch));
  });
  on('post', '/v1/admin/technicians/:username/reset-password', 'reset_password', async (ctx) => {
    const a = await actorOf(ctx);
    return ok(await admin.resetPassword(a, a.orgId, pathParam(ctx, 0)));
  });
  on('post', '/v1/admin/technicians/:username/revoke-tokens', 'revoke_tokens', async (ctx) => {
    const a = await actorOf(ctx);
    return ok(await admin.revokeTokens(a, a.orgId, pathParam(ctx, 0)));
  });
  on('post', '/v1/admin/technicians/:username/reset-second-factor', 'reset_second_factor', async (ctx) => {
    const a = await actorOf(ctx);
    return ok(await admin.resetSecondFactor(a, a.orgId, pathParam(ctx, 0)));
  });

  on('get', '/v1/admin/policy', 'get_policy', async (ctx) => {
    const a = await actorOf(ctx);
    return ok(await admin.getPolicy(a, a.orgId, null));
  });
  on('put', '/v1/admin/policy', 'set_policy', async (ctx) => {
    const a = await actorOf(ctx);
    return ok(await admin.setPolicy(a, a.orgId, null, (await ctx.body) ?? {}));
  });

  on('get', '/v1/admin/form', 'get_form', async (ctx) => {
    const a = await actorOf(ctx);
    return ok({ fields: await admin.getPreSessionForm(a, a.orgId) });
  });
  on('put', '/v1/admin/form', 'set_form', async (ctx) => {
    const a = await actorOf(ctx);
    return ok({ fields: await admin.setPreSessionForm(a, a.orgId, objectBody(await ctx.body).fields) });
  });

  on('get', '/v1/admin/security', 'get_security', async (ctx) => {
    const a = await actorOf(ctx);
    return ok(await admin.getSecurity(a, a.orgId));
  });
  on('patch', '/v1/admin/security', 'set_security', async (ctx) => {
    const a = await actorOf(ctx);
    return ok(await admin.setSecurity(a, a.orgId, (await ctx.body) ?? {}));
  });

  for (const provider of ['ldap', 'oidc', 'saml'] as const) {
    on('put', `/v1/admin/identity/${provider}`, `set_${provider}`, async (ctx) => {
      const a = await actorOf(ctx);
      return ok(await admin.setIdentityProvider(a, a.orgId, provider, objectBody(await ctx.body)));
    });
    on('del', `/v1/admin/identity/${provider}`, `delete_${provider}`, async (ctx) => {
      const a = await actorOf(ctx);
      await admin.setIdentityProvider(a, a.orgId, provider, null);
      return { status: 204 };
    });
  }
  return routes;
}
