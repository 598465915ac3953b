/** The agent's `--field KEY=VALUE` options: answers to the organisation's pre-session form (protocol/pre-session-form.ts). */
import { printable } from '../../protocol/display-text.js';
import { MAX_FORM_FIELDS } from '../../protocol/pre-session-form.js';

/** KEY=VALUE pairs as the `form` of `join`; the gateway checks them against the form (keys, lengths, characters). */
export function parseFormFields(pairs: readonly string[]): Record<string, string> {
  const form: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`--field takes KEY=VALUE (got "${printable(pair)}")`);
    const key = pair.slice(0, eq);
    if (Object.hasOwn(form, key)) throw new Error(`--field ${printable(key)} is given twice`);
    form[key] = pair.slice(eq + 1);
  }
  if (Object.keys(form).length > MAX_FORM_FIELDS) throw new Error(`at most ${MAX_FORM_FIELDS} --field options`);
  return form;
}
