import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCa, type CertificateAuthority } from './certificate-authority.js';
import { hasExactNames, issuedBy, keyMatchesCertificate } from './certificate-check.js';
import { issueCertificate, type IssuedCertificate } from './issue-certificate.js';

let ca: CertificateAuthority;
let leaf: IssuedCertificate;
let cert: X509Certificate;
beforeAll(async () => {
  ca = await createCa('check CA', 5);
  leaf = await issueCertificate(ca, {
    commonName: 'gw',
    altNames: ['Support.Example.test', '*.gw.example.test', '192.0.2.1', '2001:db8::1'],
    usage: 'server',
    validityDays: 5,
  });
  cert = new X509Certificate(leaf.certPem);
});

describe('hasExactNames', () => {
  it('matches the same names in any order, case and IPv6 spelling, wildcards included', () => {
    expect(hasExactNames(cert, ['2001:0db8:0:0:0:0:0:1', '192.0.2.1', '*.gw.example.test', 'support.example.test'])).toBe(true);
  });

  it('notices an added, removed or changed name', () => {
    expect(hasExactNames(cert, ['support.example.test', '*.gw.example.test', '192.0.2.1', '2001:db8::1', 'new.example.test'])).toBe(false);
    expect(hasExactNames(cert, ['support.example.test', '*.gw.example.test', '192.0.2.1'])).toBe(false);
    expect(hasExactNames(cert, ['support.example.test', 'x.gw.example.test', '192.0.2.1', '2001:db8::1'])).toBe(false);
    expect(hasExactNames(cert, ['support.example.test', '*.gw.example.test', '192.0.2.2', '2001:db8::1'])).toBe(false);
  });
});

describe('issuedBy and keyMatchesCertificate', () => {
  it('tell the right CA and key from wrong ones', async () => {
    const other = await createCa('other', 5);
    expect(issuedBy(cert, new X509Certificate(ca.certPem))).toBe(true);
    expect(issuedBy(cert, new X509Certificate(other.certPem))).toBe(false);
    expect(keyMatchesCertificate(cert, leaf.keyPem)).toBe(true);
    expect(keyMatchesCertificate(cert, other.keyPem)).toBe(false);
  });
});
