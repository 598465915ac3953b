/** The login form. Errors (wrong password, locked account, expired login) show in an alert region. */
import { h } from '../shared/dom.js';

export function loginView(onSubmit: (username: string, password: string) => Promise<void>, message?: string): HTMLElement {
  const user = h('input', { id: 'login-username', attrs: { name: 'username', autocomplete: 'username', required: true, maxlength: 64 } });
  const pass = h('input', { id: 'login-password', attrs: { name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 1024 } });
  const alert = h('p', { class: 'alert', attrs: { role: 'alert', id: 'login-error' } }, message ?? '');
  const submit = h('button', { attrs: { type: 'submit' } }, 'Log in');
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
          onSubmit(user.value.trim(), pass.value)
            .catch((err: Error) => {
              alert.textContent = err.message;
              pass.value = '';
              pass.focus();
            })
            .finally(() => (submit.disabled = false));
        },
      },
    },
    h('h1', {}, 'relaydesk'),
    h('p', { class: 'muted' }, 'Technician console'),
    h('label', { attrs: { for: 'login-username' } }, 'Username'),
    user,
    h('label', { attrs: { for: 'login-password' } }, 'Password'),
    pass,
    submit,
    alert,
  );
  queueMicrotask(() => user.focus());
  return form;
}
