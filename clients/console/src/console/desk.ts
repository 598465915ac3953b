/**
 * The logged-in console: the live queue, invitations (PIN and link), and one tab per picked-up session
 * (WAI-ARIA tabs: arrow keys move between tabs, Tab moves into the panel).
 */
import type { CreatedSession, LoginResult, RelaydeskClient, SessionConnection } from '../../../sdk/src/browser.js';
import type { FormAnswer } from '../../../../protocol/pre-session-form.js';
import { formatWait, h, replace } from '../shared/dom.js';
import { formAnswers } from './form-answers.js';
import { describeError } from '../shared/messages.js';
import { InactivityTimer } from './inactivity.js';
import { QueueClient, type QueueSnapshot } from './queue-client.js';
import { SessionTab } from './session-tab.js';

/** Logged out after this long without keyboard or pointer use while no session is open. */
const INACTIVITY_MS = 15 * 60_000;

export interface DeskOptions {
  client: RelaydeskClient;
  login: LoginResult;
  /** Back to the login screen, with the reason shown there. */
  onLoggedOut(message?: string): void;
}

interface Tab {
  id: string;
  button: HTMLButtonElement;
  panel: HTMLElement;
  session?: SessionTab;
}

export class Desk {
  readonly element: HTMLElement;
  private readonly tabs: Tab[] = [];
  private readonly tabList: HTMLElement;
  private readonly panels: HTMLElement;
  private readonly queueBody: HTMLTableSectionElement;
  private readonly queueStatus: HTMLElement;
  private readonly queueAlert: HTMLElement;
  private readonly invitations: HTMLElement;
  private readonly queueTab: Tab;
  private snapshot: QueueSnapshot | null = null;
  private readonly queue: QueueClient;
  private readonly inactivity: InactivityTimer;
  private readonly clock: ReturnType<typeof setInterval>;
  private readonly expiry: ReturnType<typeof setTimeout>;
  private closed = false;
  private tabSeq = 0;
  private readonly onHash: () => void;

  constructor(private readonly o: DeskOptions) {
    const who = o.login.technician;
    this.tabList = h('div', { class: 'tabs', attrs: { role: 'tablist', 'aria-label': 'Queue and sessions' } });
    this.panels = h('div', { class: 'panels' });
    this.queueBody = h('tbody');
    this.queueStatus = h('p', { class: 'queue-status', attrs: { role: 'status' } }, 'Connecting to the queue…');
    this.queueAlert = h('p', { class: 'alert', attrs: { role: 'alert' } });
    this.invitations = h('ul', { class: 'invitations', attrs: { 'aria-label': 'Invitations' } });
    const queuePanel = h(
      'div',
      { class: 'queue' },
      h(
        'section',
        { class: 'invite', attrs: { 'aria-labelledby': 'invite-title' } },
        h('h2', { id: 'invite-title' }, 'Invite a customer'),
        h('p', { class: 'muted' }, 'Create a session and give the customer its PIN or link.'),
        h('button', { attrs: { type: 'button' }, on: { click: () => this.createSession() } }, 'New session'),
        this.invitations,
      ),
      h(
        'section',
        { attrs: { 'aria-labelledby': 'queue-title' } },
        h('h2', { id: 'queue-title' }, 'Waiting customers'),
        this.queueStatus,
        this.queueAlert,
        h('table', { class: 'queue-table' }, h('thead', {}, h('tr', {}, h('th', { attrs: { scope: 'col' } }, 'Customer'), h('th', { attrs: { scope: 'col' } }, 'Waiting'), h('th', { attrs: { scope: 'col' } }, h('span', { class: 'sr-only' }, 'Action')))), this.queueBody),
      ),
    );
    this.queueTab = this.addTab('queue', 'Queue', queuePanel);
    this.element = h(
      'div',
      { class: 'desk' },
      h(
        'header',
        { class: 'top' },
        h('span', { class: 'brand' }, 'relaydesk'),
        h('span', { class: 'who' }, 'Logged in as ', h('strong', {}, who.displayName), ` (${who.username})`),
        h('button', { attrs: { type: 'button' }, on: { click: () => this.logout() } }, 'Log out'),
      ),
      this.tabList,
      this.panels,
    );
    this.select(this.queueTab);
    this.queue = new QueueClient(o.client.bearerToken!, {
      snapshot: (s) => {
        this.snapshot = s;
        this.renderQueue();
      },
      online: (on) => (this.queueStatus.textContent = on ? 'Live: updates arrive by themselves.' : 'Connection to the queue lost; reconnecting…'),
      refused: (code) => this.logout(describeError({ code }).text, false),
    });
    this.clock = setInterval(() => this.tickWaiting(), 1000);
    this.expiry = setTimeout(() => this.logout(describeError({ code: 'E_TOKEN_INVALID' }).text, false), Math.max(0, o.login.expiresAt - Date.now()));
    // A colleague's invitation: `/#attend=<guid>` opens that session here as a viewer.
    this.onHash = () => {
      const m = /^#attend=([0-9a-f]{32})$/.exec(location.hash);
      if (!m) return;
      history.replaceState(null, '', location.pathname);
      void this.attend(m[1]!);
    };
    window.addEventListener('hashchange', this.onHash);
    queueMicrotask(this.onHash);
    this.inactivity = new InactivityTimer(INACTIVITY_MS, () => this.tabs.some((t) => t.session && !t.session.ended), () => this.logout(describeError({ code: 'E_INACTIVE' }).text));
  }

  /** The screen of the session `guid` (tests and benchmarks read the canvas through it). */
  screenOf(guid: string) {
    return this.tabs.find((t) => t.session?.guid === guid)?.session?.screen;
  }

  /**
   * Logs out: this technician leaves its open sessions (a colleague still there carries on; the gateway ends a
   * session left without a technician), the token is revoked (when it still works), back to the login screen.
   */
  async logout(message?: string, revoke = true): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.stop();
    this.inactivity.stop();
    window.removeEventListener('hashchange', this.onHash);
    clearInterval(this.clock);
    clearTimeout(this.expiry);
    for (const t of this.tabs) {
      t.session?.leave();
      t.session?.dispose();
    }
    if (revoke) await this.o.client.logout().catch(() => {});
    this.o.onLoggedOut(message);
  }

  private async createSession(): Promise<void> {
    this.queueAlert.textContent = '';
    let s: CreatedSession;
    try {
      s = await this.o.client.createSession();
    } catch (err) {
      return this.onApiError(err);
    }
    const link = `${location.origin}/join#${s.pin}`;
    const pinText = s.pin.replace(/(\d{3})(?=\d)/g, '$1 ');
    const copy = h('button', { attrs: { type: 'button' }, on: { click: () => navigator.clipboard?.writeText(link).then(() => (copy.textContent = 'Copied'), () => (copy.textContent = 'Copy failed: select the link')) } }, 'Copy link');
    this.invitations.prepend(
      h(
        'li',
        { class: 'invitation', data: { guid: s.guid } },
        h('span', { class: 'label' }, 'PIN'),
        h('strong', { class: 'pin', attrs: { 'aria-label': `PIN ${s.pin.split('').join(' ')}` } }, pinText),
        h('span', { class: 'label' }, 'Link'),
        h('a', { class: 'link', attrs: { href: link, target: '_blank', rel: 'noopener' } }, link),
        copy,
        h('span', { class: 'muted' }, `valid until ${new Date(s.expiresAt).toLocaleTimeString()}`),
      ),
    );
  }

  private renderQueue(): void {
    const s = this.snapshot!;
    if (s.sessions.length === 0) {
      replace(this.queueBody, h('tr', {}, h('td', { attrs: { colspan: 3 }, class: 'muted' }, 'Nobody is waiting.')));
    } else {
      replace(
        this.queueBody,
        ...s.sessions.map((e) =>
          h(
            'tr',
            { data: { guid: e.guid } },
            h(
              'td',
              { class: 'customer-name' },
              e.customerName,
              e.unattended ? h('span', { class: 'badge', attrs: { title: 'Nobody is at this machine' } }, ' unattended') : null,
              // The pre-session form's answers, as text (dom.ts never parses markup): what the customer typed, shown as typed.
              e.form?.length
                ? formAnswers(e.form)
                : null,
            ),
            h('td', { class: 'waiting', data: { since: String(e.waitingSince) } }, formatWait(Date.now() - s.skewMs - e.waitingSince)),
            h('td', {}, h('button', { attrs: { type: 'button', 'aria-label': `Pick up ${e.customerName}` }, on: { click: (ev) => this.pickUp(e.guid, e.customerName, ev.currentTarget as HTMLButtonElement, e.form) } }, 'Pick up')),
          ),
        ),
      );
    }
    const more = s.total - s.sessions.length;
    this.queueTab.button.textContent = `Queue (${s.total})`;
    if (more > 0) this.queueBody.append(h('tr', {}, h('td', { attrs: { colspan: 3 }, class: 'muted' }, `and ${more} more`)));
  }

  private tickWaiting(): void {
    if (!this.snapshot) return;
    const now = Date.now() - this.snapshot.skewMs;
    for (const td of this.queueBody.querySelectorAll<HTMLElement>('td.waiting')) td.textContent = formatWait(now - Number(td.dataset.since));
  }

  private async pickUp(guid: string, customerName: string, button: HTMLButtonElement, form?: FormAnswer[]): Promise<void> {
    this.queueAlert.textContent = '';
    button.disabled = true;
    try {
      this.openSession(await this.o.client.pickUp(guid), guid, customerName, true, form);
    } catch (err) {
      button.disabled = false;
      this.onApiError(err, customerName);
    }
  }

  /** Joins a colleague's active session as a viewer. */
  private async attend(guid: string): Promise<void> {
    const open = this.tabs.find((t) => t.session?.guid === guid && !t.session.ended);
    if (open) return this.select(open);
    this.queueAlert.textContent = '';
    try {
      const info = await this.o.client.getSession(guid);
      this.openSession(await this.o.client.attend(guid), guid, info.customerName ?? 'Customer', false);
    } catch (err) {
      this.select(this.queueTab);
      this.onApiError(err, 'Invitation');
    }
  }

  private openSession(conn: SessionConnection, guid: string, customerName: string, picked: boolean, form?: FormAnswer[]): void {
    const session = new SessionTab({
      conn,
      guid,
      customerName,
      form,
      picked,
      me: { displayName: this.o.login.technician.displayName },
      onEnded: (t) => this.markEnded(t),
      onCloseTab: (t) => this.closeTab(t),
      onActivity: () => this.inactivity.touch(),
    });
    const tab = this.addTab(`s${++this.tabSeq}-${guid}`, customerName, session.element);
    tab.session = session;
    this.select(tab);
  }

  private onApiError(err: unknown, customerName?: string): void {
    const e = describeError(err);
    if (e.code === 'E_TOKEN_INVALID') {
      void this.logout(e.text, false);
      return;
    }
    this.queueAlert.textContent = customerName ? `${customerName}: ${e.text}` : e.text;
  }

  private addTab(id: string, label: string, content: HTMLElement): Tab {
    const button = h('button', {
      id: `tab-${id}`,
      class: 'tab',
      attrs: { type: 'button', role: 'tab', 'aria-selected': 'false', 'aria-controls': `panel-${id}`, tabindex: -1 },
    }, label);
    const panel = h('div', { id: `panel-${id}`, class: 'panel', attrs: { role: 'tabpanel', 'aria-labelledby': `tab-${id}`, hidden: true } }, content);
    const tab: Tab = { id, button, panel };
    button.addEventListener('click', () => this.select(tab));
    button.addEventListener('keydown', (ev) => {
      const i = this.tabs.indexOf(tab);
      const to = ev.key === 'ArrowRight' ? i + 1 : ev.key === 'ArrowLeft' ? i - 1 : ev.key === 'Home' ? 0 : ev.key === 'End' ? this.tabs.length - 1 : null;
      if (to === null) return;
      ev.preventDefault();
      const next = this.tabs[(to + this.tabs.length) % this.tabs.length]!;
      this.select(next);
      next.button.focus();
    });
    this.tabs.push(tab);
    this.tabList.append(button);
    this.panels.append(panel);
    return tab;
  }

  private select(tab: Tab): void {
    for (const t of this.tabs) {
      const on = t === tab;
      t.button.setAttribute('aria-selected', String(on));
      t.button.tabIndex = on ? 0 : -1;
      t.panel.hidden = !on;
    }
  }

  private markEnded(session: SessionTab): void {
    const tab = this.tabs.find((t) => t.session === session);
    if (tab) tab.button.textContent = `${session.title} (ended)`;
  }

  private closeTab(session: SessionTab): void {
    const tab = this.tabs.find((t) => t.session === session);
    if (!tab) return;
    session.dispose();
    tab.button.remove();
    tab.panel.remove();
    this.tabs.splice(this.tabs.indexOf(tab), 1);
    this.select(this.queueTab);
    this.queueTab.button.focus();
  }
}
