/**
 * One picked-up session in its tab: who is in it, what the customer granted, chat, the screen, control,
 * and ending it. Built on the SDK's SessionConnection; every name shown is inserted as text.
 */
import type { ParticipantsEvent, SessionConnection } from '../../../sdk/src/browser.js';
import { powers, type Power } from '../../../../protocol/channels.js';
import { channels } from '../../../../protocol/channels.js';
import { h, replace } from '../shared/dom.js';
import { describeError, endingSentence } from '../shared/messages.js';
import { FilePanel, filePolicyText } from './file-panel.js';
import { formAnswers } from './form-answers.js';
import type { FormAnswer } from '../../../../protocol/pre-session-form.js';
import { specialCombos } from './keysyms.js';
import { ScreenView } from './screen-view.js';
import { recordingPanel } from './recording-panel.js';

export const powerLabels: Record<Power, string> = {
  view: 'See the screen',
  control: 'Control mouse and keyboard',
  files: 'Send and receive files',
  clipboard: 'Share the clipboard',
  sysinfo: 'Read system information',
};

interface Participant {
  id: string;
  role: 'customer' | 'technician' | 'system';
  name: string;
  /** How its traffic travels (issue 12: the technician sees which path a session uses). */
  path: 'relay' | 'tcp' | 'udp';
}

/** What a participant's path reads as in the people list. */
function pathLabel(path: Participant['path']): string {
  return path === 'relay' ? 'via the gateway relay' : `direct path (${path.toUpperCase()})`;
}

export interface SessionTabOptions {
  conn: SessionConnection;
  guid: string;
  customerName: string;
  /** The customer's answers to the pre-session form, from the queue entry picked up (none when attending). */
  form?: readonly FormAnswer[];
  me: { displayName: string };
  /** True for the technician who picked the session up (holds control first); false for one who attends. */
  picked: boolean;
  /** The session ended (the tab stays, read-only, until the technician closes it). */
  onEnded(tab: SessionTab): void;
  onCloseTab(tab: SessionTab): void;
  /** Anything that happened in the session: the desk counts it as activity. */
  onActivity(): void;
}

export class SessionTab {
  readonly element: HTMLElement;
  readonly guid: string;
  ended = false;
  readonly screen: ScreenView;
  private readonly conn: SessionConnection;
  private granted = new Set<Power>();
  private requested = new Set<Power>();
  private participants: Participant[];
  private you: string | null = null;
  private controller: string | null = null;
  private controlWanted = true;
  private readonly chatLog: HTMLOListElement;
  private readonly powerList: HTMLUListElement;
  private readonly peopleList: HTMLUListElement;
  private readonly notice: HTMLElement;
  private readonly controlToggle: HTMLButtonElement;
  private readonly modeToggle: HTMLButtonElement;
  private readonly sysinfo: HTMLElement;
  private readonly clipboardBox: HTMLElement;
  private readonly clipboardSend: HTMLButtonElement;
  private readonly chatInput: HTMLInputElement;
  private readonly endButton: HTMLButtonElement;
  private readonly leaveButton: HTMLButtonElement;
  private readonly invite: HTMLElement;
  private readonly recording: ReturnType<typeof recordingPanel>;
  private readonly filePanel: FilePanel;

  constructor(private readonly o: SessionTabOptions) {
    this.conn = o.conn;
    this.guid = o.guid;
    this.participants = [
      { id: 'customer', role: 'customer', name: o.customerName, path: 'relay' },
      { id: 'me', role: 'technician', name: o.me.displayName, path: 'relay' },
    ];
    this.you = 'me';
    this.screen = new ScreenView({
      input: (payload) => this.conn.send(channels.input.id, payload),
      trouble: (text) => this.say(text),
    });
    this.filePanel = new FilePanel(this.conn);
    this.chatLog = h('ol', { class: 'chat-log', attrs: { role: 'log', 'aria-live': 'polite', 'aria-label': 'Chat' } });
    this.powerList = h('ul', { class: 'powers', attrs: { 'aria-label': 'Powers' } });
    this.peopleList = h('ul', { class: 'people', attrs: { 'aria-label': 'In this session' } });
    this.notice = h('p', { class: 'notice', attrs: { role: 'alert' } });
    this.sysinfo = h('dl', { class: 'sysinfo' });
    this.clipboardBox = h('pre', { class: 'clipboard', attrs: { 'aria-label': 'The customer’s clipboard', 'aria-live': 'polite' } });
    this.chatInput = h('input', { attrs: { type: 'text', maxlength: 4000, 'aria-label': 'Message to the customer', autocomplete: 'off' } });
    this.controlToggle = h('button', { class: 'toggle', attrs: { type: 'button', 'aria-pressed': 'false', disabled: true }, on: { click: () => this.toggleControl() } }, 'Control: off');
    this.modeToggle = h('button', { attrs: { type: 'button' }, on: { click: () => this.toggleMode() } }, 'Show actual size (1:1)');
    this.recording = recordingPanel(this.conn, () => this.isController && !this.ended);
    this.endButton = h('button', { class: 'danger', attrs: { type: 'button' }, on: { click: () => this.end() } }, 'End session');
    this.leaveButton = h('button', { attrs: { type: 'button' }, on: { click: () => this.leave() } }, 'Leave (the session goes on)');
    const inviteLink = `${location.origin}/#attend=${o.guid}`;
    const inviteCopy = h('button', { attrs: { type: 'button' }, on: { click: () => navigator.clipboard?.writeText(inviteLink).then(() => (inviteCopy.textContent = 'Copied'), () => (inviteCopy.textContent = 'Copy failed: select the link')) } }, 'Copy link');
    this.invite = h(
      'details',
      { class: 'menu invite-colleague' },
      h('summary', {}, 'Invite a colleague'),
      h('form', {}, h('p', {}, 'A colleague of your organisation opens this link in the console to watch with you:'), h('a', { class: 'link', attrs: { href: inviteLink } }, inviteLink), inviteCopy),
    );

    const pasteText = h('textarea', { attrs: { rows: 3, 'aria-label': 'Text to type on the customer’s machine' } });
    // With the clipboard granted, a text can go onto the customer's clipboard instead of being typed.
    this.clipboardSend = h(
      'button',
      { attrs: { type: 'button', disabled: true }, on: { click: () => (this.conn.clipboard(pasteText.value), (pasteText.value = ''), (pasteMenu.open = false)) } },
      'Put it on the customer’s clipboard',
    );
    const keysMenu: HTMLDetailsElement = h(
      'details',
      { class: 'menu' },
      h('summary', {}, 'Special keys'),
      h('ul', {}, ...specialCombos.map((c) => h('li', {}, h('button', { attrs: { type: 'button' }, on: { click: () => (this.screen.sendCombo(c.keys), (keysMenu.open = false), this.screen.viewport.focus()) } }, `Send ${c.label}`)))),
    );
    const pasteMenu: HTMLDetailsElement = h(
      'details',
      { class: 'menu' },
      h('summary', {}, 'Paste text'),
      h(
        'form',
        { class: 'paste', on: { submit: (ev) => (ev.preventDefault(), this.screen.sendText(pasteText.value), (pasteText.value = ''), (pasteMenu.open = false), this.screen.viewport.focus()) } },
        pasteText,
        h('button', { attrs: { type: 'submit' } }, 'Type it on the customer’s machine'),
        this.clipboardSend,
      ),
    );
    const toolbar = h('div', { class: 'screen-toolbar', attrs: { role: 'toolbar', 'aria-label': 'Screen' } }, this.modeToggle, this.controlToggle, keysMenu, pasteMenu);
    const chatForm = h(
      'form',
      { class: 'chat-form', on: { submit: (ev) => (ev.preventDefault(), this.sendChat()) } },
      this.chatInput,
      h('button', { attrs: { type: 'submit' } }, 'Send'),
    );
    this.element = h(
      'section',
      { class: 'session', attrs: { 'aria-label': `Session with ${o.customerName}` }, data: { guid: o.guid } },
      h('div', { class: 'session-main' }, toolbar, this.screen.element),
      h(
        'aside',
        { class: 'session-side' },
        this.notice,
        // The customer's agent said nobody is at the machine (allowed by the organisation's policy).
        this.conn.unattended ? h('p', { class: 'unattended', attrs: { role: 'note' } }, 'Unattended: nobody is at the customer’s machine. Only what its agent allows up front will be granted.') : null,
        o.form?.length ? h('h3', {}, 'Before the session') : null,
        o.form?.length ? formAnswers(o.form) : null,
        h('h3', {}, 'In this session'),
        this.peopleList,
        h('h3', {}, 'Powers'),
        this.powerList,
        h('h3', {}, 'Organisation policy'),
        policySummary(this.conn.policy),
        this.recording.element,
        h('h3', {}, 'Chat'),
        this.chatLog,
        chatForm,
        h('h3', {}, 'Files'),
        this.filePanel.element,
        h('h3', {}, 'Customer’s clipboard'),
        this.clipboardBox,
        h('h3', {}, 'System information'),
        this.sysinfo,
        h('div', { class: 'session-actions' }, this.invite, this.leaveButton, this.endButton),
      ),
    );
    this.bind();
    // What arrived with the handshake, before this tab listened (an attend gets participants and grants at once).
    if (this.conn.participants.length > 0) this.onParticipants({ you: this.conn.you, controller: this.conn.controller, list: this.conn.participants });
    this.granted = new Set(this.conn.grants);
    this.filePanel.setGranted(this.granted.has('files'));
    if (this.granted.has('view')) this.screen.setShare('live');
    this.renderPowers();
    this.renderPeople();
    this.updateControl();
    replace(this.sysinfo, h('p', { class: 'muted' }, 'Ask for "Read system information" to see it here.'));
    this.clipboardBox.textContent = 'Ask for "Share the clipboard" to see it here.';
  }

  get title(): string {
    return this.o.customerName;
  }

  /** The session ends for everyone. */
  end(): void {
    if (this.ended) return this.o.onCloseTab(this);
    this.conn.end();
  }

  /** This technician leaves; the customer and the other technicians go on. */
  leave(): void {
    if (this.ended) return;
    this.conn.leave();
    this.finish('You left the session.');
  }

  dispose(): void {
    this.screen.dispose();
    this.filePanel.dispose();
    this.conn.close();
  }

  private bind(): void {
    const c = this.conn;
    c.on('participants', (e) => {
      this.o.onActivity();
      this.onParticipants(e);
    });
    c.on('share', (e) => this.screen.setShare(e.state === 'live' ? 'live' : 'paused'));
    c.on('sysinfo', (info) => this.showSysinfo(info));
    c.on('clipboard', (e) => (this.clipboardBox.textContent = e.text));
    c.on('chat', (m) => {
      this.o.onActivity();
      const name = m.name ?? (m.from === 'customer' ? this.o.customerName : 'Technician');
      this.addChat(name, m.text, m.at);
    });
    c.on('grants', (list) => {
      const hadView = this.granted.has('view');
      this.granted = new Set(list as Power[]);
      for (const p of this.granted) this.requested.delete(p);
      this.renderPowers();
      this.updateControl();
      this.clipboardSend.disabled = !this.granted.has('clipboard');
      this.filePanel.setGranted(this.granted.has('files'));
      // The grant decides whether a picture may come at all; `share` messages say live or paused within it.
      if (hadView && !this.granted.has('view')) this.screen.setShare('stopped');
      if (!hadView && this.granted.has('view')) this.screen.setShare('live');
    });
    c.on('data', (channel, payload) => {
      if (channel === channels.screen.id) {
        // The SDK hands a view one byte into the message's own buffer: pass the whole buffer to the worker.
        this.screen.frame(payload.buffer as ArrayBuffer, payload.byteOffset - 1, performance.timeOrigin + performance.now());
      } else if (channel === channels.cursor.id) {
        this.screen.cursorMessage(payload);
      }
    });
    c.on('error', (e) => this.say(describeError(e).text));
    c.on('peer', (state) => this.say(state === 'reconnecting' ? 'The customer’s connection dropped; waiting for it to come back…' : 'The customer is back.'));
    c.on('reconnecting', () => this.say('Connection lost; reconnecting…'));
    c.on('resumed', () => this.say('Reconnected.'));
    c.on('state', (e) => {
      if (e.state === 'closed' || e.state === 'expired') this.finish(endingSentence(e.reason));
    });
    c.on('close', (info) => this.finish(info.reason && info.reason !== 'E_CLOSED' ? endingSentence(info.reason) : 'The session has ended.'));
  }

  private finish(text: string): void {
    if (this.ended) return;
    this.ended = true;
    // Control goes at once: no input is sent after the end, whatever is still queued in the page.
    this.granted.clear();
    this.updateControl();
    this.screen.setShare('stopped');
    this.recording.refresh();
    this.say(text);
    this.element.classList.add('ended');
    for (const el of this.element.querySelectorAll<HTMLButtonElement | HTMLInputElement | HTMLTextAreaElement>('button, input, textarea')) el.disabled = true;
    this.endButton.disabled = false;
    this.endButton.textContent = 'Close tab';
    this.leaveButton.hidden = true;
    this.invite.hidden = true;
    this.renderPowers();
    this.o.onEnded(this);
  }

  private say(text: string): void {
    this.notice.textContent = text;
  }

  private sendChat(): void {
    const text = this.chatInput.value.trim();
    if (!text || this.ended) return;
    this.conn.chat(text);
    this.addChat(`${this.o.me.displayName} (you)`, text, Date.now());
    this.chatInput.value = '';
  }

  private addChat(name: string, text: string, at: number): void {
    const time = new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    this.chatLog.append(h('li', {}, h('span', { class: 'chat-name' }, name), h('span', { class: 'chat-time' }, time), h('span', { class: 'chat-text' }, text)));
    this.chatLog.scrollTop = this.chatLog.scrollHeight;
  }

  private onParticipants(e: ParticipantsEvent): void {
    this.participants = e.list.map((p) => ({ id: p.id, role: p.role, name: p.name, path: p.path ?? 'relay' }));
    this.you = e.you;
    this.controller = e.controller;
    this.renderPeople();
    this.updateControl();
    this.recording.refresh();
  }

  /** Whether this technician holds control (the participants message says; until the first one: the one who picked up). */
  private get isController(): boolean {
    return this.you === 'me' ? this.o.picked : this.controller === this.you;
  }

  private renderPeople(): void {
    replace(
      this.peopleList,
      ...this.participants.map((p) =>
        h(
          'li',
          { data: { role: p.role, id: p.id } },
          h('span', { class: 'person-name' }, p.name),
          h('span', { class: 'person-role' }, p.id === this.you ? ' (you)' : p.role === 'customer' ? ' (customer)' : p.role === 'system' ? ' (system)' : ' (technician)'),
          p.id === this.controller ? h('span', { class: 'badge' }, 'in control') : null,
          h('span', { class: 'person-path', data: { path: p.path } }, ` · ${pathLabel(p.path)}`),
          // The controller may hand control to a colleague in the session (the customer's grant stays).
          p.role === 'technician' && p.id !== this.you && this.controller === this.you && !this.ended
            ? h('button', { class: 'small', attrs: { type: 'button' }, on: { click: () => this.conn.pass(p.id) } }, `Give control to ${p.name}`)
            : null,
        ),
      ),
    );
  }

  private renderPowers(): void {
    replace(
      this.powerList,
      ...powers.map((p) => {
        const granted = this.granted.has(p);
        const asked = this.requested.has(p);
        // The gateway refuses a request the organisation's policy forbids; say so instead of offering it.
        const forbidden = this.conn.policy !== null && !this.conn.policy.allowedPowers.includes(p);
        return h(
          'li',
          { class: granted ? 'granted' : 'not-granted', data: { power: p } },
          h('span', { class: 'power-state', attrs: { 'aria-hidden': 'true' } }, granted ? '✔' : '✖'),
          h('span', { class: 'power-name' }, powerLabels[p]),
          h('span', { class: 'power-status' }, granted ? 'granted' : forbidden ? 'not allowed by your organisation' : asked ? 'asked…' : 'not granted'),
          h(
            'button',
            {
              attrs: { type: 'button', disabled: granted || forbidden || this.ended, 'aria-label': `Ask the customer: ${powerLabels[p]}` },
              on: {
                click: () => {
                  this.conn.request(p);
                  this.requested.add(p);
                  this.renderPowers();
                },
              },
            },
            asked ? 'Ask again' : 'Ask',
          ),
        );
      }),
    );
  }

  private updateControl(): void {
    const may = !this.ended && this.granted.has('control') && this.isController;
    this.controlToggle.disabled = !may;
    const on = may && this.controlWanted;
    this.controlToggle.setAttribute('aria-pressed', String(on));
    const holder = this.controller && this.controller !== this.you ? this.participants.find((p) => p.id === this.controller) : undefined;
    this.controlToggle.textContent = on ? 'Control: on' : may ? 'Control: off' : holder ? `Control: with ${holder.name}` : 'Control: not granted';
    this.screen.setControl(on);
  }

  private toggleControl(): void {
    this.controlWanted = !this.controlWanted;
    this.updateControl();
    if (this.controlWanted) this.screen.viewport.focus();
  }

  private toggleMode(): void {
    const next = this.screen.currentMode === 'fit' ? 'actual' : 'fit';
    this.screen.setMode(next);
    this.modeToggle.textContent = next === 'fit' ? 'Show actual size (1:1)' : 'Fit to window';
  }

  private showSysinfo(info: unknown): void {
    if (!info || typeof info !== 'object') return;
    replace(this.sysinfo, ...Object.entries(info as Record<string, unknown>).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, typeof v === 'string' ? v : JSON.stringify(v))]));
  }
}

/** What the organisation allows in this session (from the gateway's `state: active`), in words. */
function policySummary(policy: SessionConnection['policy']): HTMLElement {
  if (!policy) return h('p', { class: 'muted' }, 'Not known (an older gateway).');
  const minutes = policy.maxSessionMinutes;
  return h(
    'ul',
    { class: 'policy', attrs: { 'aria-label': 'Organisation policy' } },
    h('li', {}, policy.relayOnly ? 'Relay only: every byte passes the gateway' : 'Direct paths allowed'),
    h('li', {}, `Recording: ${policy.recording}`),
    h('li', {}, filePolicyText(policy)),
    h('li', {}, `Longest session: ${minutes >= 60 && minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`}`),
    h('li', {}, policy.grantsSurviveTransfer ? 'Grants stay when control passes on' : 'Control and clipboard are asked again when control passes on'),
  );
}
