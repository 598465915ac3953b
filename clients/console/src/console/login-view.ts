/** The login form. Errors (wrong password, locked account, expired login) show in an alert region. */
import { h, type Child } from '../shared/dom.js';

/**
 * The frame of both login steps: heading, fields, submit button and alert. `attempt` runs on submit with the
 * button disabled; its rejection's message goes to the alert and `onError` resets the fields.
 */
export function authForm(o: { subtitle: string; submitLabel: string; attempt: () => Promise<void>; onError: () => void; message?: string }, ...fields: Child[]): HTMLFormElement {
  const alert = h('p', { class: 'alert', attrs: { role: 'alert', id: 'login-error' } }, o.message ?? '');
  const submit = h('button', { attrs: { type: 'submit' } }, o.submitLabel);
  const form = h(
    'form',
    {
      class: 'login',
      attrs: { 'aria-describedby': 'login-error' },
      on: {
        submit: (ev) => {
          ev.preventDefault();
          submit.disabled = true;
          alert.textContent = '';
          o.attempt()
            .catch((err: Error) => {
              alert.textContent = err.message;
              o.onError();
            })
            .finally(() => (submit.disabled = false));
        },
      },
    },
    h('h1', {}, 'relaydesk'),
    h('p', { class: 'muted' }, o.subtitle),
    ...fields,
    submit,
    alert,
  );
  return form;
}

export function loginView(onSubmit: (username: string, password: string) => Promise<void>, message?: string): HTMLElement {
  const user = h('input', { id: 'login-username', attrs: { name: 'username', autocomplete: 'username', required: true, maxlength: 64 } });
  const pass = h('input', { id: 'login-password', attrs: { name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 1024 } });
  const form = authForm(
    {
      subtitle: 'Technician console',
      submitLabel: 'Log in',
      message,
      attempt: () => onSubmit(user.value.trim(), pass.value),
      onError: () => {
        pass.value = '';
        pass.focus();
      },
    },
    h('label', { attrs: { for: 'login-username' } }, 'Username'),
    user,
    h('label', { attrs: { for: 'login-password' } }, 'Password'),
    pass,
  );
  queueMicrotask(() => user.focus());
  return form;
}
