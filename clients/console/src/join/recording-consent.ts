/**
 * The customer's side of recording on the browser page (docs/recording.md): a technician's request becomes
 * a consent card (allow / do not allow), and while the gateway records, a banner says so, with a button to
 * stop a recording the customer allowed (one the organisation requires for every session cannot be stopped).
 */
import type { SessionConnection } from '../../../sdk/src/browser.js';
import { h, replace } from '../shared/dom.js';

export function watchRecording(conn: SessionConnection, consents: HTMLElement): HTMLElement {
  const banner = h('p', { class: 'recording-banner', attrs: { role: 'status', hidden: true } });
  conn.on('recording', (e) => {
    if (e.state === 'requested') {
      consents.querySelector('[data-recording]')?.remove();
      const card: HTMLElement = h('section', { class: 'consent', data: { recording: 'request' }, attrs: { 'aria-labelledby': 'consent-recording' } });
      const answer = (yes: boolean) => (card.remove(), conn.recordingAction(yes ? 'consent' : 'refuse'));
      card.append(
        h('h2', { id: 'consent-recording' }, `${e.name ?? 'The technician'} asks to record this session.`),
        h('p', {}, 'The support organisation would keep what the technician sees and the chat. You can stop it at any time.'),
        h(
          'div',
          { class: 'actions' },
          h('button', { attrs: { type: 'button' }, on: { click: () => answer(true) } }, 'Allow recording'),
          h('button', { class: 'danger', attrs: { type: 'button' }, on: { click: () => answer(false) } }, 'Do not allow'),
        ),
      );
      consents.append(card);
      return;
    }
    if (e.state !== 'on' && e.state !== 'off') return;
    banner.hidden = e.state === 'off';
    const required = conn.policy?.recording === 'always';
    replace(
      banner,
      e.state === 'on' ? (required ? 'This session is recorded (your support organisation records every session).' : 'This session is being recorded.') : '',
      e.state === 'on' && !required ? h('button', { attrs: { type: 'button' }, on: { click: () => conn.recordingAction('stop') } }, 'Stop recording') : null,
    );
  });
  return banner;
}
