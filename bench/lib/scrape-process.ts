/**
 * CPU and memory of a gateway this bench did not start, from its Prometheus endpoint (`--metrics
 * http://gw:9464/metrics`): `relaydesk_process_cpu_seconds_total` and `relaydesk_process_resident_memory_bytes`,
 * so a report on a deployment still gives the gateway's CPU per unit of work.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UsageError } from './options.js';

export interface ProcessSample {
  cpuMs: number;
  rssBytes: number;
}

export function checkMetricsUrls(urls: readonly string[]): void {
  for (const u of urls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new UsageError(`--metrics ${u}: not a URL (expected http://host:9464/metrics)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--metrics ${u}: must be http:// or https://`);
  }
}

/** One sample of every URL, summed (several gateways of one cluster). */
export async function sampleProcesses(urls: readonly string[]): Promise<ProcessSample> {
  const samples = await Promise.all(urls.map(sampleOne));
  return samples.reduce((a, b) => ({ cpuMs: a.cpuMs + b.cpuMs, rssBytes: a.rssBytes + b.rssBytes }), { cpuMs: 0, rssBytes: 0 });
}

async function sampleOne(url: string): Promise<ProcessSample> {
  const text = await get(url);
  const value = (name: string) => {
    const m = new RegExp(`^relaydesk_${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
    if (!m) throw new Error(`${url}: no relaydesk_${name} in the metrics`);
    return Number(m[1]);
  };
  return { cpuMs: value('process_cpu_seconds_total') * 1000, rssBytes: value('process_resident_memory_bytes') };
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}
