/**
 * The session's recording, in the technician's session tab (docs/recording.md): whether the gateway records
 * it, and, when the organisation's policy lets technicians ask (`on-request`), a button to ask the customer
 * and one to stop. Only the technician holding control may ask or stop (the gateway refuses the others).
 */
import type { SessionConnection } from '../../../sdk/src/browser.js';
import { h, replace } from '../shared/dom.js';

export function recordingPanel(conn: SessionConnection, holdsControl: () => boolean): { element: HTMLElement; refresh(): void } {
  const element = h('div', { class: 'recording', attrs: { 'aria-label': 'Recording', 'aria-live': 'polite' } });
  let asked: 'asked' | 'refused' | null = null;
  const mode = () => conn.policy?.recording ?? 'off';
  const refresh = () => {
    const recording = conn.recording;
    const status = recording
      ? 'This session is being recorded (the customer sees the recorder).'
      : asked === 'asked'
        ? 'Asked the customer to allow recording…'
        : asked === 'refused'
          ? 'The customer did not allow recording.'
          : mode() === 'off'
            ? 'Your organisation does not record sessions.'
            : 'Not recorded.';
    const mayAct = mode() === 'on-request' && holdsControl() && conn.state === 'active';
    replace(
      element,
      h('p', { class: 'recording-status', data: { recording: String(recording) } }, status),
      mayAct && !recording && asked !== 'asked'
        ? h('button', { attrs: { type: 'button' }, on: { click: () => ((asked = 'asked'), conn.recordingAction('request'), refresh()) } }, asked === 'refused' ? 'Ask again to record' : 'Ask to record')
        : null,
      mayAct && recording ? h('button', { attrs: { type: 'button' }, on: { click: () => conn.recordingAction('stop') } }, 'Stop recording') : null,
    );
  };
  conn.on('recording', (e) => {
    if (e.state === 'refused') asked = 'refused';
    else if (e.state === 'on' || e.state === 'off') asked = null;
    refresh();
  });
  refresh();
  return { element, refresh };
}
