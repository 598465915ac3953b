import { describe, expect, it } from 'vitest';
import { parseSamlSettings } from './saml-login.js';

const good = {
  entryPoint: 'https://idp.example.org/sso',
  idpIssuer: 'https://idp.example.org',
  idpCert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
  spEntityId: 'https://relaydesk.example.org/saml',
  callbackUrl: 'https://gw.example.org:8443/v1/auth/saml/acs',
  groups: { roles: { support: 'technician' } },
};

describe('SAML settings', () => {
  it('fills defaults', () => {
    expect(parseSamlSettings(good)).toMatchObject({ groupsAttribute: 'groups', nameAttribute: 'displayName', groups: { teams: {} } });
  });

  it('refuses plain http off loopback, a callback that is not the gateway, a missing certificate, unknown fields', () => {
    for (const [patch, field] of [
      [{ entryPoint: 'http://idp.example.org/sso' }, /entryPoint/],
      [{ callbackUrl: 'https://gw.example.org/elsewhere' }, /callbackUrl/],
      [{ idpCert: 'not a certificate' }, /idpCert/],
      [{ groups: { roles: {}, teams: { g: 'Bad Team' } } }, /groups/],
      [{ wantAssertionsSigned: false }, /saml/],
    ] as const) {
      expect(() => parseSamlSettings({ ...good, ...patch }), JSON.stringify(patch)).toThrow(expect.objectContaining({ code: 'E_BAD_REQUEST', message: expect.stringMatching(field) }));
    }
  });
});
