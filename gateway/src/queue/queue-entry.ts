import type { QueueEntry } from '../../../protocol/queue-messages.js';
import type { SessionRecord } from '../session/session-record.js';

/** A waiting session as technicians see it, in the live queue and in GET /v1/sessions/waiting alike. */
export function queueEntry(s: SessionRecord): QueueEntry {
  return {
    guid: s.guid,
    customerName: s.customerName ?? '',
    waitingSince: s.updatedAt,
    expiresAt: s.expiresAt,
    createdBy: s.createdBy,
    ...(s.unattended ? { unattended: true } : {}),
    // Only when the organisation asked: a queue without forms stays as it was.
    ...(s.form?.length ? { form: s.form } : {}),
  };
}
