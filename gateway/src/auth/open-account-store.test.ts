import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../test/redis-server.js';
import { account } from './account-store.cases.js';
import { FileAccountStore } from './file-account-store.js';
import { openAccountStore } from './open-account-store.js';
import { RedisAccountStore } from './redis-account-store.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('openAccountStore', () => {
  it('opens the file store in the data folder', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'rd-open-'));
    try {
      const store = await openAccountStore({ kind: 'file', dataDir });
      expect(store).toBeInstanceOf(FileAccountStore);
      expect((store as FileAccountStore).file).toBe(join(dataDir, 'technicians.json'));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('opens a Redis store from a URL, owning (and closing) its client', async () => {
    const store = await openAccountStore({ kind: 'redis', redis: server.url, keyPrefix: 'open:' });
    expect(store).toBeInstanceOf(RedisAccountStore);
    await store.create(account());
    const again = await openAccountStore({ kind: 'redis', redis: server.url, keyPrefix: 'open:' });
    expect(await again.getById('tech-1')).toEqual(account());
    await Promise.all([store.close(), again.close()]);
    // A closed store's own client is gone: commands fail instead of hanging.
    await expect(store.getById('tech-1')).rejects.toMatchObject({ code: 'E_REGISTRY_UNAVAILABLE' });
  });

  it('opens a Redis store from connect options, and refuses ambiguous ones', async () => {
    const store = await openAccountStore({ kind: 'redis', redis: { url: server.url }, keyPrefix: 'open2:' });
    await store.create(account());
    expect((await store.list()).map((a) => a.username)).toEqual(['alice']);
    await store.close();
    await expect(
      openAccountStore({ kind: 'redis', redis: { url: server.url, clusterNodes: [{ host: '127.0.0.1', port: 1 }] } }),
    ).rejects.toThrow(/exactly one/);
    await expect(openAccountStore({ kind: 'redis', redis: {} })).rejects.toThrow(/exactly one/);
  });

  it('leaves a shared client open on close', async () => {
    const redis = new Redis(server.url);
    try {
      const store = await openAccountStore({ kind: 'redis', redis, keyPrefix: 'open3:' });
      await store.close();
      expect(await redis.ping()).toBe('PONG');
    } finally {
      await redis.quit();
    }
  });

  it('refuses an unknown kind', async () => {
    await expect(openAccountStore({ kind: 'ldap' } as never)).rejects.toThrow(/unknown account store kind/);
  });
});
