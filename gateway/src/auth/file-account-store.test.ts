import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { account, runAccountStoreCases } from './account-store.cases.js';
import { FileAccountStore } from './file-account-store.js';

runAccountStoreCases('file', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'rd-accounts-'));
  return {
    store: new FileAccountStore({ dataDir }),
    openAnother: async () => new FileAccountStore({ dataDir }),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
});

describe('FileAccountStore on disk', () => {
  let dataDir = '';
  afterEach(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('writes technicians.json with mode 0600 and leaves no temp or lock files', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'rd-accounts-'));
    const store = new FileAccountStore({ dataDir });
    await store.create(account());
    await store.update('tech-1', { disabled: true });
    expect((await stat(join(dataDir, 'technicians.json'))).mode & 0o777).toBe(0o600);
    expect(await readdir(dataDir)).toEqual(['technicians.json']);
    expect(JSON.parse(await readFile(join(dataDir, 'technicians.json'), 'utf8'))).toMatchObject({ version: 1 });
  });

  it('creates the data folder when missing', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'rd-accounts-'));
    const store = new FileAccountStore({ dataDir: join(dataDir, 'nested', 'data') });
    await store.create(account());
    expect(await store.list()).toHaveLength(1);
  });

  it('keeps both accounts when two writers create at once', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'rd-accounts-'));
    const a = new FileAccountStore({ dataDir });
    const b = new FileAccountStore({ dataDir });
    // Without the lock file, both read the empty file and the second rename drops the first account.
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).create(account({ id: `t${i}`, username: `user${i}` }))),
    );
    expect(await new FileAccountStore({ dataDir }).list()).toHaveLength(10);
  });

  it('reports a damaged file loudly, with its path', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'rd-accounts-'));
    await writeFile(join(dataDir, 'technicians.json'), '{"version":1,"accounts":[{"id":1}]}');
    await expect(new FileAccountStore({ dataDir }).list()).rejects.toThrow(/technicians\.json: account #0/);
    await writeFile(join(dataDir, 'technicians.json'), '{not json');
    await expect(new FileAccountStore({ dataDir }).getById('x')).rejects.toThrow(/not valid JSON/);
  });

  it('breaks a stale lock left by a crashed writer', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'rd-accounts-'));
    const lock = join(dataDir, 'technicians.json.lock');
    await writeFile(lock, '12345');
    const { utimes } = await import('node:fs/promises');
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    await new FileAccountStore({ dataDir, lockTimeoutMs: 200 }).create(account());
  });

  it('gives up on a live lock with a clear error', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'rd-accounts-'));
    await writeFile(join(dataDir, 'technicians.json.lock'), '12345');
    await expect(new FileAccountStore({ dataDir, lockTimeoutMs: 100 }).create(account())).rejects.toThrow(/held by another writer/);
  });
});
