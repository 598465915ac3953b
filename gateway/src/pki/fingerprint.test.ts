import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCa } from './certificate-authority.js';
import { certificateFingerprint } from './fingerprint.js';

describe('certificateFingerprint', () => {
  it('is the SHA-256 of the DER in upper-case colon hex, as OpenSSL prints it', async () => {
    const ca = await createCa('fp CA', 10);
    const fp = certificateFingerprint(ca.certPem);
    expect(fp).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(fp).toBe(new X509Certificate(ca.certPem).fingerprint256);
  });
});
