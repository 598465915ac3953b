/**
 * The technician console's entry point (served at `/`): login screen or desk. The login (token, expiry,
 * technician) lives in sessionStorage: it survives a reload of this tab and nothing else.
 */
import { RelaydeskClient, SecondFactorRequiredError, browserTransport, type LoginResult } from '../../../sdk/src/browser.js';
import { replace } from '../shared/dom.js';
import { describeError } from '../shared/messages.js';
import { Desk } from './desk.js';
import { loginView } from './login-view.js';
import { secondFactorView } from './second-factor-view.js';

const STORAGE_KEY = 'relaydesk.login';
const root = document.getElementById('app')!;
const client = new RelaydeskClient(browserTransport(location.origin));

function showLogin(message?: string): void {
  sessionStorage.removeItem(STORAGE_KEY);
  document.title = 'relaydesk: log in';
  replace(
    root,
    loginView(async (username, password) => {
      const loggedIn = (login: LoginResult) => {
        sessionStorage.setItem(STORAGE_KEY, JSON.stringify(login));
        showDesk(login);
      };
      try {
        loggedIn(await client.login(username, password));
      } catch (err) {
        // A right password, and a second factor is due: the second step replaces the form.
        if (err instanceof SecondFactorRequiredError) return replace(root, secondFactorView(client, err.challenge, loggedIn));
        throw new Error(describeError(err).text);
      }
    }, message),
  );
}

function showDesk(login: LoginResult): void {
  client.useToken(login.token);
  document.title = 'relaydesk console';
  const desk = new Desk({ client, login, onLoggedOut: (message) => showLogin(message) });
  replace(root, desk.element);
  probe.desk = desk;
}

/**
 * For tests and benchmarks (bench/console): what the canvas of a session shows, and the worker's timings.
 * It reads only what the page itself shows; it is no way into anything.
 */
const probe: { desk: Desk | null; snapshot(guid: string): Promise<{ width: number; height: number; sha256: string } | null>; stats(guid: string, reset?: boolean): Promise<unknown> } = {
  desk: null,
  async snapshot(guid) {
    const shot = await probe.desk?.screenOf(guid)?.snapshot();
    if (!shot?.rgba) return null;
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', shot.rgba));
    return { width: shot.width, height: shot.height, sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join('') };
  },
  async stats(guid, reset) {
    return (await probe.desk?.screenOf(guid)?.stats(reset)) ?? null;
  },
};
(globalThis as unknown as { relaydeskProbe: typeof probe }).relaydeskProbe = probe;

const stored = sessionStorage.getItem(STORAGE_KEY);
let login: LoginResult | null = null;
try {
  login = stored ? (JSON.parse(stored) as LoginResult) : null;
} catch {
  login = null;
}
if (login && login.expiresAt > Date.now()) showDesk(login);
else showLogin(login ? describeError({ code: 'E_TOKEN_INVALID' }).text : undefined);
