import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileOrgStore } from './file-org-store.js';
import { runOrgStoreCases } from './org-store.cases.js';

runOrgStoreCases('file', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'rd-orgs-'));
  return {
    store: new FileOrgStore({ dataDir }),
    openAnother: async () => new FileOrgStore({ dataDir }),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
});

describe('FileOrgStore on disk', () => {
  it('writes organisations.json with mode 0600 and reports a damaged file with its path', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'rd-orgs-'));
    try {
      await new FileOrgStore({ dataDir }).update('acme', () => {}, 1);
      expect((await stat(join(dataDir, 'organisations.json'))).mode & 0o777).toBe(0o600);
      await writeFile(join(dataDir, 'organisations.json'), '{"version":1,"organisations":[{"id":"x"}]}');
      await expect(new FileOrgStore({ dataDir }).get('x')).rejects.toThrow(/organisations\.json: organisation #0/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
