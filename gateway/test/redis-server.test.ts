import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startRedisServer } from './redis-server.js';

const harness = fileURLToPath(new URL('./redis-server.ts', import.meta.url));

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('startRedisServer', () => {
  it('stops, restarts on the same port with extra args, and kills', async () => {
    const server = await startRedisServer({ args: ['--maxmemory', '10mb'] });
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(server.running).toBe(true);
    await server.stop();
    expect(server.running).toBe(false);
    expect(await accepts(server.port)).toBe(false);
    await server.stop(); // twice is fine
    await server.restart();
    expect(server.running).toBe(true);
    expect(await accepts(server.port)).toBe(true);
    await server.kill();
    expect(await accepts(server.port)).toBe(false);
  });

  it('starts on a chosen port and reports a taken port clearly', async () => {
    const first = await startRedisServer();
    try {
      await expect(startRedisServer({ port: first.port, startTimeoutMs: 2000 })).rejects.toThrow(
        new RegExp(`127\\.0\\.0\\.1:${first.port}`),
      );
    } finally {
      await first.stop();
    }
  });

  it('runs a Sentinel that monitors a server', async () => {
    const primary = await startRedisServer();
    const sentinel = await startRedisServer({
      sentinel: true,
      args: ['--sentinel', 'monitor', 'mymaster', primary.host, String(primary.port), '1'],
    });
    try {
      const client = new Redis(sentinel.url);
      const addr = await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster');
      client.disconnect();
      expect(addr).toEqual([primary.host, String(primary.port)]);
    } finally {
      await sentinel.stop();
      await primary.stop();
    }
  });

  it('leaves no server and no temp dir behind when the test process is SIGKILLed', async () => {
    const code = `import { startRedisServer } from ${JSON.stringify(harness)};
      const s = await startRedisServer();
      console.log(JSON.stringify({ port: s.port, dir: s.dir }));
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString())));
    const { port, dir } = JSON.parse(line) as { port: number; dir: string };
    expect(await accepts(port)).toBe(true);
    child.kill('SIGKILL');
    const deadline = Date.now() + 3000;
    while ((await accepts(port)) || existsSync(dir)) {
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} or ${dir} outlived its test process`);
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});
