/**
 * The pre-session form (docs/protocol.md, "Pre-session form"): a few questions an organisation asks a customer
 * before the customer joins its queue (an order number, a device). The organisation defines the fields (admin
 * API, CLI); the customer's answers travel in `join`, are stored with the waiting session and appear in the
 * technicians' live queue. Shared by the gateway and the clients; no Node APIs.
 *
 * Everything is small and bounded, because every waiting session carries its answers into every queue
 * snapshot (up to QUEUE_MAX_ENTRIES of them, pushed to every console on every change): at most 6 fields, an
 * answer of at most 200 characters and all answers together at most 600, so a customer adds at most about 1,200
 * characters (answers, labels, keys) to a snapshot.
 */
import * as v from 'valibot';
import { displayTextProblem } from './display-text.js';

export const MAX_FORM_FIELDS = 6;
export const MAX_FORM_LABEL_CHARS = 60;
/** The longest answer any field may allow; a field's own `maxLength` may be shorter. */
export const MAX_FORM_ANSWER_CHARS = 200;
/** All of one customer's answers together. */
export const MAX_FORM_ANSWERS_CHARS = 600;
/** A field's `maxLength` when the organisation gives none. */
export const DEFAULT_FORM_ANSWER_CHARS = 100;

/** One question, as the organisation defines it. */
export interface FormField {
  /** Stable name of the answer (what `join` sends): a lower-case letter, then up to 31 of a-z, 0-9, _. */
  key: string;
  /** What the customer reads. */
  label: string;
  required: boolean;
  maxLength: number;
}

/** One answer as stored with the waiting session and shown in the queue: the field's label travels along. */
export interface FormAnswer {
  key: string;
  label: string;
  value: string;
}

const keyPattern = /^[a-z][a-z0-9_]{0,31}$/;
const safeText = (max: number) =>
  v.pipe(
    v.string(),
    v.maxLength(max, `must be at most ${max} characters`),
    v.check((s) => displayTextProblem(s) === null, 'must not contain control characters'),
  );
const key = v.pipe(v.string(), v.regex(keyPattern, 'must be a lower-case letter, then up to 31 of a-z, 0-9 and _'));

/** The organisation's form as the admin API and CLI take it (a whole list replaces the old one; [] removes it). */
export const formFieldsSchema = v.pipe(
  v.array(
    v.strictObject({
      key,
      label: v.pipe(safeText(MAX_FORM_LABEL_CHARS), v.minLength(1, 'must not be empty')),
      required: v.optional(v.boolean(), false),
      maxLength: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_FORM_ANSWER_CHARS)), DEFAULT_FORM_ANSWER_CHARS),
    }),
  ),
  v.maxLength(MAX_FORM_FIELDS, `may have at most ${MAX_FORM_FIELDS} fields`),
  v.check((fields) => new Set(fields.map((f) => f.key)).size === fields.length, 'keys must differ'),
);

/** The customer's answers in `join`: key → text, with the bounds every form shares (the field's own are checked by checkAnswers). */
export const formAnswersSchema = v.pipe(
  v.record(key, safeText(MAX_FORM_ANSWER_CHARS)),
  v.check((answers) => Object.keys(answers).length <= MAX_FORM_FIELDS, `may answer at most ${MAX_FORM_FIELDS} fields`),
  v.check((answers) => Object.values(answers).reduce((n, a) => n + a.length, 0) <= MAX_FORM_ANSWERS_CHARS, `answers may hold at most ${MAX_FORM_ANSWERS_CHARS} characters together`),
);

/**
 * Checks answers against the organisation's fields: `{ answers }` to store (in the form's order, empty ones left
 * out), or `{ problem }`, what is wrong (for E_FORM_INVALID). Answers are trimmed; a key the form does not have is
 * refused, so a client cannot smuggle fields into the queue.
 */
export function checkAnswers(fields: readonly FormField[], answers: Readonly<Record<string, string>>): { problem: string } | { answers: FormAnswer[] } {
  for (const k of Object.keys(answers)) {
    if (!fields.some((f) => f.key === k)) return { problem: `"${k}" is not a field of this form` };
  }
  const out: FormAnswer[] = [];
  for (const f of fields) {
    const value = (Object.hasOwn(answers, f.key) ? answers[f.key]! : '').trim();
    if (!value && f.required) return { problem: `"${f.label}" (${f.key}) is required` };
    if (value.length > f.maxLength) return { problem: `"${f.label}" (${f.key}) must be at most ${f.maxLength} characters` };
    if (value) out.push({ key: f.key, label: f.label, value });
  }
  return { answers: out };
}
