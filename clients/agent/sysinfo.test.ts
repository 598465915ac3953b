import { expect, it } from 'vitest';
import { MAX_SYSINFO_BYTES } from '../../protocol/messages.js';
import { collectSystemInfo } from './sysinfo.js';

it('system information covers OS, CPU, memory, disks, network and the busiest processes', async () => {
  // Burn some CPU in this process so it shows up among the top processes by CPU.
  const burn = setInterval(() => {
    const end = Date.now() + 15;
    while (Date.now() < end);
  }, 20);
  const info = await collectSystemInfo(300).finally(() => clearInterval(burn));
  expect(info.os.platform).toBe('linux');
  expect(info.os.kernel.length).toBeGreaterThan(0);
  expect(info.cpu.cores).toBeGreaterThan(0);
  expect(info.memory.totalBytes).toBeGreaterThan(info.memory.freeBytes);
  expect(info.disks.some((d) => d.mount === '/' && d.totalBytes > 0)).toBe(true);
  expect(info.network.find((n) => n.name === 'lo')?.addresses.some((a) => a.address === '127.0.0.1')).toBe(true);
  expect(info.processes.byMemory.length).toBeGreaterThan(0);
  expect(info.processes.byMemory[0]!.rssBytes).toBeGreaterThanOrEqual(info.processes.byMemory.at(-1)!.rssBytes);
  expect(info.processes.byCpu.map((p) => p.pid)).toContain(process.pid);
  expect(JSON.stringify(info).length).toBeLessThan(MAX_SYSINFO_BYTES); // what the gateway accepts in one message
});
