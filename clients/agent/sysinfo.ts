/**
 * System information the technician may see after the customer agrees (`sysinfo` power): OS and kernel,
 * CPU, memory, disks, network interfaces and addresses, and the top processes by CPU and by memory. Read from
 * node:os, /proc and statfs, no shelling out; each part that cannot be read is left out, not guessed.
 */
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';

export interface ProcessInfo {
  pid: number;
  name: string;
  /** Share of one CPU over the sampling window, in percent. */
  cpu: number;
  rssBytes: number;
}

export interface SystemInfo {
  os: { platform: string; release: string; kernel: string; distribution?: string; hostname: string; uptimeSeconds: number };
  cpu: { model: string; cores: number; loadAverage: number[] };
  memory: { totalBytes: number; freeBytes: number; availableBytes?: number };
  disks: { mount: string; device: string; type: string; totalBytes: number; freeBytes: number }[];
  network: { name: string; addresses: { address: string; family: string; netmask: string; mac: string }[] }[];
  processes: { byCpu: ProcessInfo[]; byMemory: ProcessInfo[] };
  collectedAt: number;
}

const PAGE = 4096;
const TOP = 10;

function osRelease(): string | undefined {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1];
  } catch {
    return undefined;
  }
}

function meminfoAvailable(): number | undefined {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

const virtualFs = new Set(['proc', 'sysfs', 'devtmpfs', 'devpts', 'cgroup', 'cgroup2', 'securityfs', 'pstore', 'bpf', 'debugfs', 'tracefs', 'mqueue', 'hugetlbfs', 'configfs', 'fusectl', 'autofs', 'binfmt_misc', 'nsfs', 'rpc_pipefs', 'ramfs']);

function disks(): SystemInfo['disks'] {
  let mounts: string;
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return [];
  }
  const out: SystemInfo['disks'] = [];
  const seen = new Set<string>();
  for (const line of mounts.split('\n')) {
    const [device, mount, type] = line.split(' ');
    if (!device || !mount || !type || virtualFs.has(type) || seen.has(mount) || out.length >= 32) continue;
    seen.add(mount);
    try {
      const s = statfsSync(mount.replace(/\\040/g, ' '));
      if (s.blocks === 0) continue;
      out.push({ mount, device, type, totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize });
    } catch {
      // not readable by us: left out
    }
  }
  return out;
}

function network(): SystemInfo['network'] {
  return Object.entries(os.networkInterfaces()).map(([name, addrs]) => ({
    name,
    addresses: (addrs ?? []).map((a) => ({ address: a.address, family: a.family, netmask: a.netmask, mac: a.mac })),
  }));
}

/** CPU ticks (utime+stime) and resident memory of every process we can read. */
function processTable(): Map<number, { name: string; ticks: number; rssBytes: number }> {
  const table = new Map<number, { name: string; ticks: number; rssBytes: number }>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return table;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // The name is in parentheses and may itself contain spaces or parentheses: split after the last ')'.
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      // Fields after the name start at field 3 (state): utime is field 14, stime 15, rss 24 (proc(5)).
      table.set(Number(e), { name, ticks: Number(f[11]) + Number(f[12]), rssBytes: Number(f[21]) * PAGE });
    } catch {
      // the process ended while we looked
    }
  }
  return table;
}

/** Collects everything; CPU use per process is measured over `sampleMs`. */
export async function collectSystemInfo(sampleMs = 250): Promise<SystemInfo> {
  const before = processTable();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, sampleMs));
  const after = processTable();
  const seconds = (Date.now() - t0) / 1000;
  const ticksPerSecond = 100; // USER_HZ on Linux
  const procs: ProcessInfo[] = [];
  for (const [pid, p] of after) {
    const prev = before.get(pid);
    const cpu = prev ? ((p.ticks - prev.ticks) / ticksPerSecond / seconds) * 100 : 0;
    procs.push({ pid, name: p.name, cpu: Math.round(cpu * 10) / 10, rssBytes: p.rssBytes });
  }
  const cpus = os.cpus();
  return {
    os: { platform: os.platform(), release: os.release(), kernel: os.version(), distribution: osRelease(), hostname: os.hostname(), uptimeSeconds: Math.round(os.uptime()) },
    cpu: { model: cpus[0]?.model ?? 'unknown', cores: cpus.length, loadAverage: os.loadavg() },
    memory: { totalBytes: os.totalmem(), freeBytes: os.freemem(), availableBytes: meminfoAvailable() },
    disks: disks(),
    network: network(),
    processes: {
      byCpu: [...procs].sort((a, b) => b.cpu - a.cpu).slice(0, TOP),
      byMemory: [...procs].sort((a, b) => b.rssBytes - a.rssBytes).slice(0, TOP),
    },
    collectedAt: Date.now(),
  };
}

/**
 * Shrinks the report until its JSON fits in `maxBytes` (one control message): fewer processes, interfaces and
 * disks first; OS, CPU and memory always stay.
 */
export function fitSystemInfo(info: SystemInfo, maxBytes: number): SystemInfo {
  const size = (i: SystemInfo) => Buffer.byteLength(JSON.stringify(i));
  let out = info;
  for (const keep of [10, 5, 2, 0]) {
    if (size(out) <= maxBytes) return out;
    out = {
      ...info,
      disks: info.disks.slice(0, keep * 2),
      network: info.network.slice(0, keep * 2),
      processes: { byCpu: info.processes.byCpu.slice(0, keep), byMemory: info.processes.byMemory.slice(0, keep) },
    };
  }
  return out;
}
