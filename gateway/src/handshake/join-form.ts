import { checkAnswers, type FormAnswer } from '../../../protocol/pre-session-form.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { FormSource } from '../org/pre-session-form-source.js';

/**
 * The answers a joining customer's session stores, checked against its organisation's pre-session form
 * (undefined: the organisation has none). A join without `form` to an organisation that has one gets
 * E_FORM_REQUIRED, answers that do not fit get E_FORM_INVALID; both carry the form, so the client can show it
 * and join again. Neither takes back the PIN attempt the join reserved: a refused join counts like a wrong PIN,
 * so asking for the form is no cheaper way to test PINs.
 */
export async function formAnswersFor(forms: FormSource | undefined, orgId: string, given: Record<string, string> | undefined): Promise<FormAnswer[] | undefined> {
  const fields = forms ? await forms.formFor(orgId) : [];
  if (fields.length === 0) return undefined; // answers to a form that does not exist are ignored, never stored
  if (given === undefined) throw new GatewayError('E_FORM_REQUIRED', undefined, { form: fields });
  const checked = checkAnswers(fields, given);
  if ('problem' in checked) throw new GatewayError('E_FORM_INVALID', `form: ${checked.problem}`, { form: fields });
  return checked.answers;
}
