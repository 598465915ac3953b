/**
 * The organisation's pre-session form on the customer's page (protocol/pre-session-form.ts): hidden until the
 * gateway asks for it (E_FORM_REQUIRED carries the fields), then one labelled input per question, with the
 * organisation's limits as the browser's own checks (required, maxlength). The gateway checks again.
 */
import type { FormField } from '../../../../protocol/pre-session-form.js';
import { h, replace } from '../shared/dom.js';

export class FormQuestions {
  readonly element: HTMLFieldSetElement = h('fieldset', { class: 'form-questions', attrs: { hidden: true } });
  private inputs: { field: FormField; input: HTMLInputElement }[] = [];

  /** Shows these questions (keeping what was typed into questions that stay); false when there are none. */
  show(fields: readonly FormField[]): boolean {
    if (fields.length === 0) return false;
    const typed = new Map(this.inputs.map((q) => [q.field.key, q.input.value]));
    this.inputs = fields.map((field) => {
      const input = h('input', {
        id: `form-${field.key}`,
        attrs: { type: 'text', name: field.key, required: field.required, maxlength: field.maxLength, autocomplete: 'off', value: typed.get(field.key) ?? '' },
      });
      return { field, input };
    });
    replace(
      this.element,
      h('legend', {}, 'A few questions from your support team'),
      ...this.inputs.flatMap(({ field, input }) => [h('label', { attrs: { for: input.id } }, field.required ? `${field.label} (required)` : field.label), input]),
    );
    this.element.hidden = false;
    return true;
  }

  /** The answers for `join`, or undefined while no question was asked (the gateway then says whether there are any). */
  answers(): Record<string, string> | undefined {
    if (this.inputs.length === 0) return undefined;
    return Object.fromEntries(this.inputs.map(({ field, input }) => [field.key, input.value.trim()]));
  }

  focus(): void {
    this.inputs[0]?.input.focus();
  }
}
