import type { ClientMessageOf } from '../../../protocol/messages.js';
import { checkAnswers, type FormAnswer } from '../../../protocol/pre-session-form.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { RelayDeps } from '../relay/relay-context.js';
import type { SessionRecord } from '../session/session-record.js';

/**
 * The answers a joining customer's session stores, checked against its organisation's pre-session form
 * (undefined: the organisation has none). `joinable` is join.ts's lookup of the session, shared with the
 * unattended check. Checked before the session is claimed, so a refused join changes
 * nothing. That needs the session's organisation, which the claim (one registry call: join.ts) does not give
 * beforehand: one registry read more per join, but only while some organisation has a form (FormSource.anyForms).
 *
 * A join without `form` to an organisation that has one gets E_FORM_REQUIRED, answers that do not fit get
 * E_FORM_INVALID; both carry the form, so the client can show it and join again. Neither takes back the PIN
 * attempt the join reserved: a refused join counts like a wrong PIN, so asking for the form is no cheaper way
 * to test PINs. A PIN that is wrong, used or expired is E_PIN_INVALID here already, as the claim would say.
 */
export async function joinFormAnswers(
  deps: Pick<RelayDeps, 'forms'>,
  joinable: () => Promise<SessionRecord | undefined>,
  msg: ClientMessageOf<'join'>,
): Promise<FormAnswer[] | undefined> {
  const forms = deps.forms;
  if (!forms || !(await forms.anyForms())) return undefined;
  const record = await joinable();
  if (!record) throw new GatewayError('E_PIN_INVALID');
  const fields = await forms.formFor(record.orgId);
  if (fields.length === 0) return undefined; // answers to a form that does not exist are ignored, never stored
  if (msg.form === undefined) throw new GatewayError('E_FORM_REQUIRED', undefined, { form: fields });
  const checked = checkAnswers(fields, msg.form);
  if ('problem' in checked) throw new GatewayError('E_FORM_INVALID', `form: ${checked.problem}`, { form: fields });
  return checked.answers;
}
