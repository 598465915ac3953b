import { createPrivateKey } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.js';
import { createCa, type CertificateAuthority } from './certificate-authority.js';
import { ensureGatewayTls } from './gateway-tls.js';
import { certificateFingerprint } from './fingerprint.js';
import { issueCertificate, type IssuedCertificate } from './issue-certificate.js';
import { tlsHandshake } from './tls-handshake.test-helper.js';

const dayMs = 86_400_000;
let dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rd-tls-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

function recordingLog() {
  const events: Record<string, unknown>[] = [];
  return { log: createLogger({ write: (l) => events.push(JSON.parse(l) as Record<string, unknown>) }), events };
}

describe('ensureGatewayTls, self-signed', () => {
  it('creates a CA and a gateway certificate on first start, keys 0600, that pass a TLS handshake', async () => {
    const dataDir = await tempDir();
    const { log } = recordingLog();
    const tls = await ensureGatewayTls({ dataDir, hostnames: ['localhost', '127.0.0.1'], log });
    expect(tls.certFile).toBe(join(dataDir, 'tls', 'gateway.crt'));
    expect(tls.keyFile).toBe(join(dataDir, 'tls', 'gateway.key'));
    expect(tls.caFile).toBe(join(dataDir, 'tls', 'ca.crt'));
    for (const f of ['ca.key', 'gateway.key']) expect((await stat(join(dataDir, 'tls', f))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'tls'))).mode & 0o777).toBe(0o700);
    expect(tls.caFingerprint).toBe(certificateFingerprint(tls.caPem));

    const server = { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) };
    expect((await tlsHandshake(server, { ca: tls.caPem, servername: 'localhost' })).error).toBeNull();
    expect((await tlsHandshake(server, { ca: tls.caPem })).error).toBeNull(); // by IP
  });

  it('reuses the CA and the certificate on the next start (stable fingerprint)', async () => {
    const dataDir = await tempDir();
    const first = await ensureGatewayTls({ dataDir, hostnames: ['localhost'], log: recordingLog().log });
    const leaf = await readFile(first.certFile, 'utf8');
    const { log, events } = recordingLog();
    const second = await ensureGatewayTls({ dataDir, hostnames: ['localhost'], log });
    expect(second.caFingerprint).toBe(first.caFingerprint);
    expect(await readFile(second.certFile, 'utf8')).toBe(leaf);
    expect(events.map((e) => e.event)).toEqual(['tls.ready']);
  });

  it('re-issues the certificate, under the same CA, when the host names change', async () => {
    const dataDir = await tempDir();
    const first = await ensureGatewayTls({ dataDir, hostnames: ['localhost'], log: recordingLog().log });
    const { log, events } = recordingLog();
    const second = await ensureGatewayTls({ dataDir, hostnames: ['localhost', 'support.example.test'], log });
    expect(second.caFingerprint).toBe(first.caFingerprint);
    expect(events.find((e) => e.event === 'tls.cert_issued')).toMatchObject({ reason: 'names_changed' });
    const server = { cert: await readFile(second.certFile), key: await readFile(second.keyFile) };
    expect((await tlsHandshake(server, { ca: second.caPem, servername: 'support.example.test' })).error).toBeNull();
    // Dropping a name is a change too.
    const { log: log3, events: events3 } = recordingLog();
    await ensureGatewayTls({ dataDir, hostnames: ['support.example.test'], log: log3 });
    expect(events3.find((e) => e.event === 'tls.cert_issued')).toMatchObject({ reason: 'names_changed' });
  });

  it('re-issues the certificate when it expires within 30 days', async () => {
    const dataDir = await tempDir();
    let now = Date.now();
    const clock = () => now;
    await ensureGatewayTls({ dataDir, hostnames: ['localhost'], log: recordingLog().log, clock, certValidityDays: 100 });
    now += 69 * dayMs;
    const { log: quiet, events: none } = recordingLog();
    await ensureGatewayTls({ dataDir, hostnames: ['localhost'], log: quiet, clock });
    expect(none.some((e) => e.event === 'tls.cert_issued')).toBe(false);
    now += 2 * dayMs; // 29 days left
    const { log, events } = recordingLog();
    await ensureGatewayTls({ dataDir, hostnames: ['localhost'], log, clock });
    expect(events.find((e) => e.event === 'tls.cert_issued')).toMatchObject({ reason: 'expiring' });
  });

  it('re-issues a certificate whose key file was replaced (crash between writes)', async () => {
    const dataDir = await tempDir();
    await ensureGatewayTls({ dataDir, hostnames: ['localhost'], log: recordingLog().log });
    const stray = await issueCertificate(await createCaOnce(), { commonName: 'x', altNames: ['x'], usage: 'server', validityDays: 5 });
    await writeFile(join(dataDir, 'tls', 'gateway.key'), stray.keyPem);
    const { log, events } = recordingLog();
    await ensureGatewayTls({ dataDir, hostnames: ['localhost'], log });
    expect(events.find((e) => e.event === 'tls.cert_issued')).toMatchObject({ reason: 'key_mismatch' });
  });

  it('refuses to replace half a CA, because clients pin it', async () => {
    const dataDir = await tempDir();
    await ensureGatewayTls({ dataDir, hostnames: ['localhost'], log: recordingLog().log });
    await rm(join(dataDir, 'tls', 'ca.key'));
    await expect(ensureGatewayTls({ dataDir, hostnames: ['localhost'], log: recordingLog().log })).rejects.toThrow(/only one of .*ca\.crt/);
  });

  it('refuses invalid host names', async () => {
    const dataDir = await tempDir();
    await expect(ensureGatewayTls({ dataDir, hostnames: [], log: recordingLog().log })).rejects.toThrow(/host name/);
    await expect(ensureGatewayTls({ dataDir, hostnames: ['not a host'], log: recordingLog().log })).rejects.toThrow(/not a host/);
  });
});

let sharedCa: CertificateAuthority | undefined;
async function createCaOnce(): Promise<CertificateAuthority> {
  sharedCa ??= await createCa('operator CA', 30);
  return sharedCa;
}

describe('ensureGatewayTls, operator files', () => {
  let leaf: IssuedCertificate;
  let other: IssuedCertificate;
  beforeAll(async () => {
    const ca = await createCaOnce();
    [leaf, other] = await Promise.all([
      issueCertificate(ca, { commonName: 'support.example.test', altNames: ['support.example.test'], usage: 'server', validityDays: 30 }),
      issueCertificate(ca, { commonName: 'other', altNames: ['other'], usage: 'server', validityDays: 30 }),
    ]);
  });

  async function files(certPem: string, keyPem: string) {
    const dir = await tempDir();
    await writeFile(join(dir, 'op.crt'), certPem);
    await writeFile(join(dir, 'op.key'), keyPem);
    return { dir, certFile: join(dir, 'op.crt'), keyFile: join(dir, 'op.key') };
  }

  it('uses the operator certificate and key as they are, making nothing', async () => {
    const ca = await createCaOnce();
    const { dir, certFile, keyFile } = await files(leaf.certPem + ca.certPem, leaf.keyPem);
    const dataDir = join(dir, 'data');
    const tls = await ensureGatewayTls({ dataDir, hostnames: ['ignored'], certFile, keyFile, log: recordingLog().log });
    expect(tls).toMatchObject({ certFile, keyFile, caFingerprint: certificateFingerprint(ca.certPem) });
    await expect(stat(join(dataDir, 'tls'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('pins the operator CA file when given, and checks it issued the certificate', async () => {
    const ca = await createCaOnce();
    const { dir, certFile, keyFile } = await files(leaf.certPem, leaf.keyPem);
    await writeFile(join(dir, 'ca.crt'), ca.certPem);
    const tls = await ensureGatewayTls({ dataDir: dir, hostnames: [], certFile, keyFile, caFile: join(dir, 'ca.crt'), log: recordingLog().log });
    expect(tls.caFingerprint).toBe(certificateFingerprint(ca.certPem));

    const foreign = await createCa('foreign CA', 5);
    await writeFile(join(dir, 'foreign.crt'), foreign.certPem);
    await expect(
      ensureGatewayTls({ dataDir: dir, hostnames: [], certFile, keyFile, caFile: join(dir, 'foreign.crt'), log: recordingLog().log }),
    ).rejects.toThrow(/not issued by the CA/);
  });

  it('refuses a key that does not belong to the certificate, naming both files', async () => {
    const { certFile, keyFile } = await files(leaf.certPem, other.keyPem);
    await expect(ensureGatewayTls({ dataDir: '/nonexistent', hostnames: [], certFile, keyFile, log: recordingLog().log })).rejects.toThrow(
      /private key in .*op\.key does not match the certificate in .*op\.crt/,
    );
  });

  it('refuses unreadable, missing or half-given files with clear errors', async () => {
    const { certFile, keyFile } = await files('not a certificate', leaf.keyPem);
    const log = recordingLog().log;
    await expect(ensureGatewayTls({ dataDir: '/x', hostnames: [], certFile, keyFile, log })).rejects.toThrow(/holds no PEM certificate/);
    await expect(ensureGatewayTls({ dataDir: '/x', hostnames: [], certFile: '/nope.crt', keyFile, log })).rejects.toThrow(/does not exist/);
    await expect(ensureGatewayTls({ dataDir: '/x', hostnames: [], certFile, log })).rejects.toThrow(/give both or neither/);
    const garbledKey = await files(leaf.certPem, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    await expect(ensureGatewayTls({ dataDir: '/x', hostnames: [], ...garbledKey, log })).rejects.toThrow(/not a readable .*private key/);
  });
});

describe('ensureGatewayTls, key types', () => {
  const keyTypeOfFile = async (file: string) => createPrivateKey(await readFile(file, 'utf8')).asymmetricKeyType;

  it('makes an ECDSA P-256 CA and certificate by default, RSA when asked, each passing a handshake', async () => {
    const ecDir = await tempDir();
    const ec = await ensureGatewayTls({ dataDir: ecDir, hostnames: ['localhost'], log: recordingLog().log });
    expect(await keyTypeOfFile(ec.keyFile)).toBe('ec');
    expect(await keyTypeOfFile(join(ecDir, 'tls', 'ca.key'))).toBe('ec');
    const rsaDir = await tempDir();
    const rsa = await ensureGatewayTls({ dataDir: rsaDir, hostnames: ['localhost'], log: recordingLog().log, keyType: 'rsa-2048' });
    expect(await keyTypeOfFile(rsa.keyFile)).toBe('rsa');
    expect(await keyTypeOfFile(join(rsaDir, 'tls', 'ca.key'))).toBe('rsa');
    for (const tls of [ec, rsa]) {
      const server = { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) };
      expect((await tlsHandshake(server, { ca: tls.caPem, servername: 'localhost' })).error).toBeNull();
    }
  });

  it('keeps an existing RSA CA (clients pin it) and issues an ECDSA certificate under it that passes a handshake', async () => {
    const dataDir = await tempDir();
    const old = await ensureGatewayTls({ dataDir, hostnames: ['localhost'], log: recordingLog().log, keyType: 'rsa-2048' });
    const { log, events } = recordingLog();
    const now = await ensureGatewayTls({ dataDir, hostnames: ['localhost'], log });
    expect(now.caFingerprint).toBe(old.caFingerprint);
    expect(events.find((e) => e.event === 'tls.cert_issued')).toMatchObject({ reason: 'key_type_changed' });
    expect(await keyTypeOfFile(now.keyFile)).toBe('ec');
    const server = { cert: await readFile(now.certFile), key: await readFile(now.keyFile) };
    expect((await tlsHandshake(server, { ca: now.caPem, servername: 'localhost' })).error).toBeNull();
    // And back: RSA asked for again, RSA issued again, under the same CA.
    const { log: log2, events: events2 } = recordingLog();
    const back = await ensureGatewayTls({ dataDir, hostnames: ['localhost'], log: log2, keyType: 'rsa-2048' });
    expect(events2.find((e) => e.event === 'tls.cert_issued')).toMatchObject({ reason: 'key_type_changed' });
    expect(await keyTypeOfFile(back.keyFile)).toBe('rsa');
  });

  it('loads a CA made by the earlier node-forge code (PKCS#1 RSA key) and signs with it', async () => {
    const dataDir = await tempDir();
    const ca = await createCa('legacy CA', 30, { keyType: 'rsa-2048' });
    const pkcs1 = createPrivateKey(ca.keyPem).export({ type: 'pkcs1', format: 'pem' }).toString();
    await mkdir(join(dataDir, 'tls'), { recursive: true, mode: 0o700 });
    await writeFile(join(dataDir, 'tls', 'ca.crt'), ca.certPem);
    await writeFile(join(dataDir, 'tls', 'ca.key'), pkcs1, { mode: 0o600 });
    const tls = await ensureGatewayTls({ dataDir, hostnames: ['localhost'], log: recordingLog().log });
    expect(tls.caFingerprint).toBe(certificateFingerprint(ca.certPem));
    const server = { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) };
    expect((await tlsHandshake(server, { ca: ca.certPem, servername: 'localhost' })).error).toBeNull();
  });
});
