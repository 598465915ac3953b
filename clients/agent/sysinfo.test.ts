import { expect, it } from 'vitest';
import { MAX_SYSINFO_BYTES } from '../../protocol/messages.js';
import { collectSystemInfo, fitSystemInfo } from './sysinfo.js';

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

it('a report too large for one message loses processes, interfaces and disks first, never the OS, CPU or memory', async () => {
  const info = await collectSystemInfo(10);
  const many = { ...info, network: Array.from({ length: 500 }, (_, i) => ({ name: `veth${i}`, addresses: [{ address: `10.0.${i >> 8}.${i & 255}`, family: 'IPv4', netmask: '255.255.255.0', mac: '00:00:00:00:00:00' }] })) };
  const fitted = fitSystemInfo(many, MAX_SYSINFO_BYTES);
  expect(JSON.stringify(fitted).length).toBeLessThanOrEqual(MAX_SYSINFO_BYTES);
  expect(fitted.network.length).toBeLessThan(500);
  expect(fitted.os).toEqual(info.os);
  expect(fitted.memory).toEqual(info.memory);
  expect(fitSystemInfo(info, MAX_SYSINFO_BYTES)).toBe(info);
});
