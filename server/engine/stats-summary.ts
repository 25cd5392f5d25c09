// Turns the Engine API's stats object into the handful of numbers the dashboard draws, with the same
// formulas as the docker CLI (`docker stats`).
import type { ContainerStats } from '@berth/runtime/engine';

export interface StatsPoint {
  /** ms since the epoch, from the sample's `read`. */
  t: number;
  cpuPercent: number;
  memUsage: number;
  /** 0 when unlimited (or the host's total, as Docker reports it). */
  memLimit: number;
  memPercent: number;
  blkRead: number;
  blkWrite: number;
  netRx: number;
  netTx: number;
  pids: number;
}

export function summarizeStats(s: ContainerStats): StatsPoint {
  const cpu = s.cpu_stats;
  const pre = s.precpu_stats;
  const cpuDelta = (cpu?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (cpu?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
  const online = cpu?.online_cpus || cpu?.cpu_usage?.percpu_usage?.length || 1;
  const cpuPercent = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * online * 100 : 0;

  const mem = s.memory_stats ?? {};
  const stats = mem.stats ?? {};
  // docker CLI: cgroup v1 subtracts total_inactive_file, v2 inactive_file (the page cache the kernel can drop).
  const inactive = stats['total_inactive_file'] ?? stats['inactive_file'] ?? 0;
  const memUsage = Math.max(0, (mem.usage ?? 0) - (inactive < (mem.usage ?? 0) ? inactive : 0));
  const memLimit = mem.limit ?? 0;

  let blkRead = 0;
  let blkWrite = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op.toLowerCase();
    if (op === 'read') blkRead += e.value;
    else if (op === 'write') blkWrite += e.value;
  }
  let netRx = 0;
  let netTx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    netRx += n.rx_bytes;
    netTx += n.tx_bytes;
  }
  const t = Date.parse(s.read);
  return {
    t: Number.isFinite(t) && t > 0 ? t : Date.now(),
    cpuPercent,
    memUsage,
    memLimit,
    memPercent: memLimit > 0 ? (memUsage / memLimit) * 100 : 0,
    blkRead,
    blkWrite,
    netRx,
    netTx,
    pids: s.pids_stats?.current ?? 0,
  };
}
