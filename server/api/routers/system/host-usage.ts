// This machine's CPU and memory use from /proc, for the Overview of the embedded endpoint.
import { promises as fsp } from 'node:fs';

interface CpuTimes {
  idle: number;
  total: number;
}

async function cpuTimes(): Promise<CpuTimes> {
  const line = (await fsp.readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { idle, total: v.reduce((a, b) => a + b, 0) };
}

async function memory(): Promise<{ total: number; available: number }> {
  const text = await fsp.readFile('/proc/meminfo', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { total: kb('MemTotal'), available: kb('MemAvailable') };
}

export interface HostUsage {
  t: number;
  cpuPercent: number;
  memUsed: number;
  memTotal: number;
}

/** Samples every `ms`: CPU % over the interval, memory used (total − available). */
export async function* hostUsage(ms: number, signal?: AbortSignal): AsyncGenerator<HostUsage> {
  let prev = await cpuTimes();
  while (!signal?.aborted) {
    await new Promise((r) => setTimeout(r, ms));
    if (signal?.aborted) return;
    const cur = await cpuTimes();
    const total = cur.total - prev.total;
    const busy = total - (cur.idle - prev.idle);
    prev = cur;
    const m = await memory();
    yield { t: Date.now(), cpuPercent: total > 0 ? (busy / total) * 100 : 0, memUsed: m.total - m.available, memTotal: m.total };
  }
}
