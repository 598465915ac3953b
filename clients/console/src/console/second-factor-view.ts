/**
 * The second step of a login (docs/protocol.md, "Two-step login"): a code from the authenticator app or a
 * recovery code; for an account that must enrol first, the QR code and secret to scan, then the first code,
 * then the recovery codes, shown this once.
 */
import type { LoginResult, RelaydeskClient, SecondFactorChallenge } from '../../../sdk/src/browser.js';
import { h, replace } from '../shared/dom.js';
import { describeError } from '../shared/messages.js';
import { authForm } from './login-view.js';

export function secondFactorView(client: RelaydeskClient, challenge: SecondFactorChallenge, done: (login: LoginResult) => void): HTMLElement {
  const code = h('input', { id: 'login-code', attrs: { inputmode: 'numeric', autocomplete: 'one-time-code', required: true, maxlength: 32 } });
  const enrolment = h('div', { class: 'enrolment' });
  let recovery = false;
  const label = h('label', { attrs: { for: 'login-code' } }, 'Code from your authenticator app');
  const switchMode = h('button', { class: 'link-button', attrs: { type: 'button' } }, 'Use a recovery code instead');
  switchMode.addEventListener('click', () => {
    recovery = !recovery;
    label.textContent = recovery ? 'Recovery code' : 'Code from your authenticator app';
    switchMode.textContent = recovery ? 'Use the authenticator app instead' : 'Use a recovery code instead';
    code.setAttribute('inputmode', recovery ? 'text' : 'numeric');
    code.focus();
  });
  const form: HTMLFormElement = authForm(
    {
      subtitle: challenge.secondFactor === 'totp-enrol' ? 'Your organisation requires an authenticator app. Set it up now:' : 'Second step',
      submitLabel: 'Continue',
      attempt: async () => {
        const value = code.value.trim();
        try {
          const login = await client.completeSecondFactor(challenge.challenge, recovery ? { recoveryCode: value } : { code: value.replace(/\s/g, '') });
          if (login.recoveryCodes?.length) showRecoveryCodes(form, login, done);
          else done(login);
        } catch (err) {
          throw new Error(describeError(err).text);
        }
      },
      onError: () => {
        code.value = '';
        code.focus();
      },
    },
    enrolment,
    label,
    code,
    challenge.secondFactor === 'totp' ? switchMode : null,
  );
  if (challenge.secondFactor === 'totp-enrol') {
    client.enrolDuringLogin(challenge.challenge).then(
      (e) =>
        replace(
          enrolment,
          h('img', { class: 'qr', attrs: { src: e.qrDataUrl, alt: 'QR code to scan with your authenticator app' } }),
          h('p', {}, 'Or type this key into the app: ', h('code', { class: 'totp-secret' }, e.secret)),
        ),
      (err) => replace(enrolment, h('p', { class: 'alert', attrs: { role: 'alert' } }, describeError(err).text)),
    );
  }
  queueMicrotask(() => code.focus());
  return form;
}

function showRecoveryCodes(form: HTMLElement, login: LoginResult, done: (login: LoginResult) => void): void {
  const go = h('button', { attrs: { type: 'button' }, on: { click: () => done(login) } }, 'I have saved them: continue');
  replace(
    form,
    h('h1', {}, 'Recovery codes'),
    h('p', {}, 'Each of these works once if you lose your authenticator app. Keep them somewhere safe; they are shown only now.'),
    h('ul', { class: 'recovery-codes' }, ...(login.recoveryCodes ?? []).map((c) => h('li', {}, h('code', {}, c)))),
    go,
  );
  go.focus();
}
