/**
 * The live queue (`wss://…/v1/queue`, docs/protocol.md "Live queue"): what a console sends and receives.
 * Shared by the gateway (gateway/src/queue/) and the console; no Node APIs here.
 */
import type { FormAnswer } from './pre-session-form.js';

/** One waiting customer (the fields of GET /v1/sessions/waiting). */
export interface QueueEntry {
  guid: string;
  customerName: string;
  waitingSince: number;
  expiresAt: number;
  createdBy: string;
  /** The customer's answers to the organisation's pre-session form, when it has one (protocol/pre-session-form.ts). */
  form?: FormAnswer[];
  /** The customer's agent joined unattended (nobody at the machine; allowed by the organisation's policy). */
  unattended?: boolean;
}

/** The one message a console sends, first. */
export interface QueueSubscribe {
  v: 1;
  type: 'subscribe';
  token: string;
}

/** A snapshot, sent at once and on every change. `at` is the gateway's clock; `total` counts past `sessions`. */
export interface QueueSnapshotMessage {
  v: 1;
  type: 'queue';
  at: number;
  total: number;
  sessions: QueueEntry[];
}

/** The oldest this many waiting customers are in a snapshot. */
export const QUEUE_MAX_ENTRIES = 500;
