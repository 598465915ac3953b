import type { Logger } from '../log/logger.js';
import type { PolicyOverrides } from '../policy/org-policy.js';
import type { DirectoryProvider } from './account-store.js';
import type { Role } from './roles.js';

/** Who made a change: the operator (admin CLI, store access) or a logged-in account. */
export type AdminActor =
  | { kind: 'operator' }
  | { kind: 'account'; technicianId: string; username: string; orgId: string; role: Role; sourceIp: string };

/** Who an event names: an admin actor, or a directory login that made or updated the account (its groups decide). */
export type EventActor = AdminActor | { kind: 'directory'; provider: DirectoryProvider; sourceIp: string };

/** One administrative change. Field values are never secrets (passwords, TOTP secrets, client secrets). */
export type AdminChange =
  | { type: 'org.updated'; orgId: string; fields: string[] }
  | { type: 'team.created'; orgId: string; teamId: string }
  | { type: 'team.deleted'; orgId: string; teamId: string }
  | { type: 'technician.created'; orgId: string; technicianId: string; username: string; role: Role; source: string }
  | { type: 'technician.updated'; orgId: string; technicianId: string; username: string; fields: Record<string, unknown> }
  | { type: 'technician.password_reset'; orgId: string; technicianId: string; username: string }
  | { type: 'technician.tokens_revoked'; orgId: string; technicianId: string; username: string }
  | { type: 'policy.updated'; orgId: string; teamId: string | null; policy: PolicyOverrides }
  | { type: 'security.updated'; orgId: string; requireTotp: boolean; allowList: string[]; idleMinutes: number | null }
  | { type: 'identity_provider.updated'; orgId: string; provider: DirectoryProvider; enabled: boolean }
  | { type: 'second_factor.enrolled'; orgId: string; technicianId: string; username: string }
  | { type: 'second_factor.removed'; orgId: string; technicianId: string; username: string }
  | { type: 'second_factor.recovery_code_used'; orgId: string; technicianId: string; username: string; left: number };

export type AdminEvent = AdminChange & { actor: EventActor; at: number };
export type AdminEventListener = (event: AdminEvent) => void;

/**
 * The typed emitter every administrative change goes through (admin service, TOTP enrolment), so the audit
 * log, metrics and webhooks subscribe in one place instead of sitting inline in each operation.
 * A listener that throws is logged and does not stop the others or the change (it has already happened).
 */
export class AdminEvents {
  readonly #listeners = new Set<AdminEventListener>();
  readonly #log: Logger | undefined;

  constructor(log?: Logger) {
    this.#log = log;
  }

  /** Subscribes; returns the function that unsubscribes. */
  on(listener: AdminEventListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  emit(event: AdminEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.#log?.error('admin_event.listener_failed', { type: event.type, err });
      }
    }
  }
}

/** The subscriber the gateway and the CLI install: one log line per change (`admin.<type>`). */
export function logAdminEvents(events: AdminEvents, log: Logger): () => void {
  return events.on(({ type, actor, at, ...fields }) => {
    const by =
      actor.kind === 'operator'
        ? { by: 'operator' }
        : actor.kind === 'directory'
          ? { by: `directory:${actor.provider}`, source: actor.sourceIp }
          : { by: actor.username, byId: actor.technicianId, byRole: actor.role, source: actor.sourceIp };
    log.info(`admin.${type}`, { ...fields, ...by, at });
  });
}
