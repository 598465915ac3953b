import { X509Certificate, createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium, never a downloaded browser (see /work/shared/ENVIRONMENT.md for the flags). */
export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  // Screen capture without a person at the picker: a page that asks with preferCurrentTab gets its own tab.
  '--auto-accept-this-tab-capture',
];

/** base64 SHA-256 of a certificate's SubjectPublicKeyInfo: what Chromium's SPKI pin list takes. */
export function spkiPin(certPem: string): string {
  const der = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/**
 * Headless Chromium with a fresh profile that trusts exactly the gateway's certificate (pinned by its public
 * key, no blanket "ignore HTTPS errors"). One browser per test file; pages are reused.
 */
export async function launchChromium(gatewayCertPem: string, viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'relaydesk-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [...FLAGS, `--ignore-certificate-errors-spki-list=${spkiPin(gatewayCertPem)}`],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
