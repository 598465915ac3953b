/**
 * The customer's browser page (served at `/join`, linked as `/join#PIN`): connect with the PIN, chat,
 * answer the technician's requests, share a screen or window. Remote control needs the relaydesk agent;
 * the page says so rather than pretend.
 */
import { RelaydeskClient, browserTransport, type SessionConnection } from '../../../sdk/src/browser.js';
import type { Power } from '../../../../protocol/channels.js';
import { h, replace } from '../shared/dom.js';
import { describeError, endingSentence } from '../shared/messages.js';
import { ScreenShare } from './screen-share.js';
import { FormQuestions } from './form-questions.js';
import { watchRecording } from './recording-consent.js';

const root = document.getElementById('app')!;
const client = new RelaydeskClient(browserTransport(location.origin));
const NOT_IN_BROWSER = 'Remote control is not possible from a browser page: the technician can see what you share and chat with you, but cannot move your mouse or type. For remote control, install the relaydesk agent.';

/** What each request means for the person asked, in plain words. */
const asks: Record<Power, string> = {
  view: 'see your screen (you choose the screen or window to share)',
  control: 'control your mouse and keyboard',
  files: 'send and receive files',
  clipboard: 'share your clipboard',
  sysinfo: 'read information about your computer',
};

function connectView(message?: string): void {
  // A PIN is 6 to 16 digits (protocol/messages.ts); typed ones may carry the spaces the console groups them with.
  const pinInLink = () => /^#?(\d{6,16})$/.exec(location.hash)?.[1] ?? '';
  const fromLink = pinInLink();
  const pin = h('input', { id: 'join-pin', attrs: { inputmode: 'numeric', autocomplete: 'off', required: true, pattern: '[0-9 ]{6,24}', value: fromLink } });
  const name = h('input', { id: 'join-name', attrs: { autocomplete: 'name', required: true, maxlength: 80 } });
  const alert = h('p', { class: 'alert', attrs: { role: 'alert' } }, message ?? '');
  const submit = h('button', { attrs: { type: 'submit' } }, 'Connect');
  // The organisation's questions, once the gateway has asked them (E_FORM_REQUIRED names them).
  const questions = new FormQuestions();
  const form = h(
    'form',
    {
      class: 'connect',
      on: {
        submit: (ev) => {
          ev.preventDefault();
          submit.disabled = true;
          alert.textContent = '';
          client
            .joinSession({ pin: pin.value.replace(/\s/g, '') }, name.value.trim(), { form: questions.answers() })
            .then((conn) => {
              window.removeEventListener('hashchange', onHash);
              sessionView(conn, name.value.trim());
            })
            .catch((err) => {
              submit.disabled = false;
              if (err?.form && questions.show(err.form)) {
                alert.textContent = err.code === 'E_FORM_REQUIRED' ? 'Before you connect, please answer these questions.' : describeError(err).text;
                questions.focus();
                return;
              }
              alert.textContent = describeError(err).text;
            });
        },
      },
    },
    h('label', { attrs: { for: 'join-pin' } }, 'PIN from your technician'),
    pin,
    h('label', { attrs: { for: 'join-name' } }, 'Your name'),
    name,
    questions.element,
    submit,
    alert,
  );
  replace(
    root,
    h('div', { class: 'join' }, h('h1', {}, 'Get help'), h('section', {}, form), h('section', {}, h('h2', {}, 'Good to know'), h('p', {}, NOT_IN_BROWSER))),
  );
  (fromLink ? name : pin).focus();
  // A second link opened in this tab (only the fragment changes, so the page does not reload).
  const onHash = () => {
    if (pinInLink()) pin.value = pinInLink();
  };
  window.addEventListener('hashchange', onHash);
}

function sessionView(conn: SessionConnection, myName: string): void {
  const status = h('p', { class: 'status', attrs: { role: 'status' } }, 'Waiting for a technician…');
  const notice = h('p', { class: 'notice', attrs: { role: 'alert' } });
  const consents = h('div', { class: 'consents' });
  const log = h('ol', { class: 'chat-log', attrs: { role: 'log', 'aria-live': 'polite', 'aria-label': 'Chat' } });
  const input = h('input', { attrs: { type: 'text', maxlength: 4000, 'aria-label': 'Message to the technician', autocomplete: 'off' } });
  const preview = h('video', { class: 'share-preview', attrs: { 'aria-label': 'What you are sharing', playsinline: true } });
  const shareBox = h('div', { class: 'sharing', attrs: { hidden: true } });
  let share: ScreenShare | null = null;
  let technician = 'the technician';
  let ended = false;

  const addChat = (who: string, text: string, at: number) => {
    const time = new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    log.append(h('li', {}, h('span', { class: 'chat-name' }, who), h('span', { class: 'chat-time' }, time), h('span', { class: 'chat-text' }, text)));
    log.scrollTop = log.scrollHeight;
  };

  const sendShare = (state: 'live' | 'paused' | 'stopped', info: { kind: 'monitor' | 'window'; width: number; height: number }) => {
    if (ended) return;
    // A stopped share is a paused one without the grant: the technician keeps the last picture, marked paused.
    conn.share({ state: state === 'stopped' ? 'paused' : state, kind: info.kind, width: info.width, height: info.height });
    if (state === 'stopped') {
      conn.revoke('view');
      shareBox.hidden = true;
      share = null;
    }
  };

  const startShare = async (): Promise<void> => {
    if (share) return;
    const s = new ScreenShare(
      {
        frame: (m) => conn.sendRaw(m),
        buffered: () => conn.bufferedAmount,
        state: (state, info) => sendShare(state, info),
      },
      preview,
    );
    try {
      await s.start();
    } catch {
      notice.textContent = 'Screen sharing was not started. You can allow it when the technician asks again.';
      s.stop();
      return;
    }
    share = s;
    conn.grant('view');
    const pause = h('button', { attrs: { type: 'button', 'aria-pressed': 'false' } }, 'Pause sharing');
    pause.addEventListener('click', () => {
      const on = pause.getAttribute('aria-pressed') !== 'true';
      s.pause(on);
      pause.setAttribute('aria-pressed', String(on));
      pause.textContent = on ? 'Resume sharing' : 'Pause sharing';
    });
    replace(shareBox, h('strong', {}, 'You are sharing your screen.'), pause, h('button', { class: 'danger', attrs: { type: 'button' }, on: { click: () => s.stop() } }, 'Stop sharing'), preview);
    shareBox.hidden = false;
    probe.share = s;
  };

  const ask = (power: Power, who: string) => {
    consents.querySelector(`[data-power="${power}"]`)?.remove();
    const card: HTMLElement = h('section', { class: 'consent', data: { power }, attrs: { 'aria-labelledby': `consent-${power}` } });
    const close = () => card.remove();
    if (power === 'view') {
      card.append(
        h('h2', { id: `consent-${power}` }, `${who} asks to ${asks[power]}.`),
        h('div', { class: 'actions' },
          h('button', { attrs: { type: 'button' }, on: { click: () => (close(), void startShare()) } }, 'Allow and choose what to share'),
          h('button', { class: 'danger', attrs: { type: 'button' }, on: { click: close } }, 'Do not allow'),
        ),
      );
    } else {
      card.append(
        h('h2', { id: `consent-${power}` }, `${who} asks to ${asks[power]}.`),
        h('p', {}, power === 'control' ? NOT_IN_BROWSER : 'This is not possible from a browser page; install the relaydesk agent for it.'),
        h('div', { class: 'actions' }, h('button', { attrs: { type: 'button' }, on: { click: close } }, 'OK')),
      );
    }
    consents.append(card);
    card.querySelector('button')?.focus();
  };

  conn.on('state', (e) => {
    if (e.state === 'active') {
      technician = e.technician || technician;
      status.textContent = `Connected with ${technician}.`;
    } else if (e.state === 'waiting') {
      status.textContent = 'Waiting for a technician…';
    } else {
      finish(e.reason === 'customer_ended' ? 'You ended the session.' : endingSentence(e.reason));
    }
  });
  conn.on('chat', (m) => addChat(m.name ?? (m.from === 'technician' ? technician : myName), m.text, m.at));
  conn.on('request', (p, by) => ask(p, by.name ?? technician));
  conn.on('resync', () => share?.resync());
  conn.on('error', (e) => (notice.textContent = describeError(e).text));
  conn.on('close', () => finish('The session has ended.'));
  const recordingBanner = watchRecording(conn, consents);

  const finish = (text: string) => {
    if (ended) return;
    ended = true;
    share?.stop();
    status.textContent = text;
    consents.replaceChildren();
    for (const el of root.querySelectorAll<HTMLButtonElement | HTMLInputElement>('button, input')) el.disabled = true;
  };

  replace(
    root,
    h(
      'div',
      { class: 'join' },
      h('h1', {}, 'Get help'),
      h('section', {}, status, recordingBanner, notice, shareBox, h('button', { class: 'danger', attrs: { type: 'button' }, on: { click: () => conn.end() } }, 'End session')),
      consents,
      h(
        'section',
        {},
        h('h2', {}, 'Chat'),
        log,
        h(
          'form',
          {
            class: 'chat-form',
            on: {
              submit: (ev) => {
                ev.preventDefault();
                const text = input.value.trim();
                if (!text || ended) return;
                conn.chat(text);
                addChat(`${myName} (you)`, text, Date.now());
                input.value = '';
              },
            },
          },
          input,
          h('button', { attrs: { type: 'submit' } }, 'Send'),
        ),
      ),
      h('section', {}, h('p', { class: 'muted' }, NOT_IN_BROWSER)),
    ),
  );
  input.focus();
}

/** For tests and benchmarks: the share in progress (its last frame's hash, its encode timings). */
const probe: { share: ScreenShare | null } = { share: null };
(globalThis as unknown as { relaydeskJoinProbe: typeof probe }).relaydeskJoinProbe = probe;

connectView();
