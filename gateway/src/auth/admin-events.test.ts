import { describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.js';
import { AdminEvents, logAdminEvents, type AdminEvent } from './admin-events.js';

const event: AdminEvent = {
  type: 'policy.updated',
  orgId: 'acme',
  teamId: null,
  policy: { relayOnly: true },
  actor: { kind: 'account', technicianId: 't1', username: 'ada', orgId: 'acme', role: 'administrator', sourceIp: '192.0.2.1' },
  at: 1,
};

describe('AdminEvents', () => {
  it('delivers to every listener, survives one that throws, and unsubscribes', () => {
    const lines: string[] = [];
    const events = new AdminEvents(createLogger({ write: (l) => lines.push(l) }));
    const got: string[] = [];
    const off = events.on((e) => got.push(`a:${e.type}`));
    events.on(() => {
      throw new Error('broken subscriber');
    });
    events.on((e) => got.push(`c:${e.type}`));
    events.emit(event);
    expect(got).toEqual(['a:policy.updated', 'c:policy.updated']);
    expect(lines.some((l) => l.includes('admin_event.listener_failed'))).toBe(true);
    off();
    events.emit(event);
    expect(got).toEqual(['a:policy.updated', 'c:policy.updated', 'c:policy.updated']);
  });

  it('logs each change as one admin.<type> line naming who did it', () => {
    const lines: string[] = [];
    const events = new AdminEvents();
    logAdminEvents(events, createLogger({ write: (l) => lines.push(l) }));
    events.emit(event);
    events.emit({ ...event, actor: { kind: 'operator' } });
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([
      { event: 'admin.policy.updated', orgId: 'acme', by: 'ada', byRole: 'administrator', source: '192.0.2.1', policy: { relayOnly: true } },
      { event: 'admin.policy.updated', by: 'operator' },
    ]);
  });
});
