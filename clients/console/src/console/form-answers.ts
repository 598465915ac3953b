import type { FormAnswer } from '../../../../protocol/pre-session-form.js';
import { h } from '../shared/dom.js';

/**
 * The customer's answers to the pre-session form, as text (dom.ts never parses markup): what the customer
 * typed, shown as typed. In the queue and, after pickup, in the session tab.
 */
export function formAnswers(form: readonly FormAnswer[]): HTMLElement {
  return h('dl', { class: 'form-answers' }, ...form.flatMap((a) => [h('dt', {}, a.label), h('dd', { data: { key: a.key } }, a.value)]));
}
