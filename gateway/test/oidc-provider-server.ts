import type { Server } from 'node:http';
import Provider from 'oidc-provider';
import { freePort } from './free-port.js';

/**
 * Test harness: a real OpenID Provider (the oidc-provider package, not a mock) on a loopback port, with one
 * confidential client and fixed people. Its development login form accepts any password for a known login;
 * browseSignIn() below fills it in like a person would.
 */
export interface TestProvider {
  issuer: string;
  stop(): Promise<void>;
}

export interface ProviderPerson {
  name: string;
  email: string;
  groups: string[];
}

export async function startOidcProvider(options: { clientId: string; clientSecret: string; redirectUri: string; people: Record<string, ProviderPerson> }): Promise<TestProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: [options.redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    ],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'], groups: ['groups'] },
    scopes: ['openid', 'profile', 'email', 'groups'],
    pkce: { required: () => true },
    cookies: { keys: ['relaydesk-test-cookie-key'] },
    findAccount: async (_ctx, id) => {
      const p = options.people[id];
      if (!p) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, preferred_username: id, name: p.name, email: p.email, groups: p.groups }) };
    },
  });
  // The development interactions print a warning on every start; tests do not need it.
  const server: Server = await new Promise((resolve) => {
    const s = provider.listen(port, '127.0.0.1', () => resolve(s));
  });
  return {
    issuer,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * What a browser does from the provider's authorisation URL to the redirect back: follows redirects with a
 * cookie jar, submits the login form (as `login`) and the consent form. Returns the final redirect URL
 * (the gateway's callback), without fetching it.
 */
export async function browseSignIn(authorizationUrl: string, login: string, stopAt: string): Promise<string> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
  };
  let url = authorizationUrl;
  let init: RequestInit = {};
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(stopAt)) return url;
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}), cookie: cookieHeader() } });
    keep(res);
    init = {};
    const location = res.headers.get('location');
    if (location) {
      url = new URL(location, url).href;
      await res.arrayBuffer();
      continue;
    }
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`no form at ${url} (${res.status}): ${html.slice(0, 300)}`);
    const form = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt });
    url = new URL(action.replace(/&amp;/g, '&'), url).href;
    init = { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error('sign-in did not finish within 20 steps');
}
