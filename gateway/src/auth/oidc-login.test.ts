import { describe, expect, it } from 'vitest';
import { parseOidcSettings } from './oidc-login.js';

const good = {
  issuer: 'https://id.example.org',
  clientId: 'relaydesk',
  clientSecret: 's',
  redirectUri: 'https://gw.example.org:8443/v1/auth/oidc/callback',
  groups: { roles: { support: 'technician' } },
};

describe('OpenID Connect settings', () => {
  it('fills defaults', () => {
    expect(parseOidcSettings(good)).toMatchObject({ scope: 'openid profile email', groupsClaim: 'groups', groups: { teams: {} } });
    expect(parseOidcSettings({ ...good, issuer: 'http://127.0.0.1:9000' }).issuer).toBe('http://127.0.0.1:9000');
  });

  it('refuses plain http off loopback, a callback that is not the gateway, a scope without openid, unknown fields', () => {
    for (const [patch, field] of [
      [{ issuer: 'http://id.example.org' }, /issuer/],
      [{ redirectUri: 'http://gw.example.org/v1/auth/oidc/callback' }, /redirectUri/],
      [{ redirectUri: 'https://evil.example.org/steal' }, /redirectUri/],
      [{ scope: 'profile email' }, /scope/],
      [{ groups: { roles: { support: 'owner' } } }, /groups/],
      [{ extra: 1 }, /oidc/],
    ] as const) {
      expect(() => parseOidcSettings({ ...good, ...patch }), JSON.stringify(patch)).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', message: expect.stringMatching(field) }));
    }
  });
});
