import { describe, expect, it } from 'vitest';
import { escapeFilterValue, parseLdapSettings } from './ldap-login.js';

describe('LDAP helpers', () => {
  it('escapes the characters RFC 4515 reserves inside a filter value', () => {
    expect(escapeFilterValue('alice')).toBe('alice');
    expect(escapeFilterValue('*')).toBe('\\2a');
    expect(escapeFilterValue('a)(uid=*')).toBe('a\\29\\28uid=\\2a');
    expect(escapeFilterValue('back\\slash\0')).toBe('back\\5cslash\\00');
  });

  it('fills defaults and keeps the given mapping', () => {
    const s = parseLdapSettings({ url: 'ldaps://dir.example.org', bindDn: 'cn=svc', bindPassword: 'p', searchBase: 'ou=people', groupSearchBase: 'ou=groups', groups: { roles: { 'cn=a': 'supervisor' } } });
    expect(s).toMatchObject({ startTls: false, searchFilter: '(uid={username})', groupFilter: '(|(member={dn})(uniqueMember={dn}))', nameAttribute: 'cn', groups: { roles: { 'cn=a': 'supervisor' }, teams: {} } });
  });
});
