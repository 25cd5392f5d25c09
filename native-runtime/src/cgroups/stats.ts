// RawCgroupStats → the Engine API's stats JSON, as dockerd 20.10 builds it (daemon/stats_collector and
// daemon/stats/…), including precpu_stats from the previous sample so clients can compute CPU %.
import * as fsp from 'node:fs/promises';
import type { BlkioStatEntry, ContainerStats, CpuStats, MemoryStats } from '../engine/types.js';
import { hostCpuCount } from './fsutil.js';
import type { BlkioEntry, RawCgroupStats } from './types.js';

// The memory.stat keys dockerd 20.10 reports on cgroup v1 (the fixture's set) and on v2.
const V1_MEMORY_KEYS = [
  'active_anon', 'active_file', 'cache', 'dirty', 'hierarchical_memory_limit', 'hierarchical_memsw_limit',
  'inactive_anon', 'inactive_file', 'mapped_file', 'pgfault', 'pgmajfault', 'pgpgin', 'pgpgout', 'rss',
  'rss_huge', 'total_active_anon', 'total_active_file', 'total_cache', 'total_dirty', 'total_inactive_anon',
  'total_inactive_file', 'total_mapped_file', 'total_pgfault', 'total_pgmajfault', 'total_pgpgin',
  'total_pgpgout', 'total_rss', 'total_rss_huge', 'total_unevictable', 'total_writeback', 'unevictable',
  'writeback',
];
const V2_MEMORY_KEYS = [
  'active_anon', 'active_file', 'anon', 'anon_thp', 'file', 'file_dirty', 'file_mapped', 'file_writeback',
  'inactive_anon', 'inactive_file', 'kernel_stack', 'pgactivate', 'pgdeactivate', 'pgfault', 'pglazyfree',
  'pglazyfreed', 'pgmajfault', 'pgrefill', 'pgscan', 'pgsteal', 'shmem', 'slab', 'slab_reclaimable',
  'slab_unreclaimable', 'sock', 'thp_collapse_alloc', 'thp_fault_alloc', 'unevictable', 'workingset_activate',
  'workingset_nodereclaim', 'workingset_refault',
];

const ZERO_TIME = '0001-01-01T00:00:00Z';
const NS_PER_TICK = 10_000_000; // USER_HZ = 100

/** Host CPU time in ns from /proc/stat's "cpu" line (user…softirq), as dockerd's getSystemCPUUsage. */
export async function readSystemCpuUsage(procStat = '/proc/stat'): Promise<number> {
  const text = await fsp.readFile(procStat, 'utf8');
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const f = line.trim().split(/\s+/).slice(1, 8).map(Number);
  return f.reduce((a, b) => a + b, 0) * NS_PER_TICK;
}

/** One sample: raw numbers plus what else dockerd puts beside them. */
export interface StatsSample {
  raw: RawCgroupStats;
  read: Date;
  /** Precise read time, ns part (Date has ms only). */
  readNs?: number;
  systemCpuUsage: number;
}

export interface StatsContext {
  id: string;
  /** With the leading slash, as in the fixture ("/statsbusy"). */
  name: string;
  /** Host MemTotal: the limit shown when the container has none. */
  memTotal: number;
  onlineCpus?: number;
}

export async function sample(raw: RawCgroupStats): Promise<StatsSample> {
  return { raw, read: new Date(), readNs: Number(process.hrtime.bigint() % 1_000_000n), systemCpuUsage: await readSystemCpuUsage() };
}

export function toDockerStats(cur: StatsSample, prev: StatsSample | undefined, ctx: StatsContext): ContainerStats {
  const online = ctx.onlineCpus ?? (cur.raw.cpu.percpuNs?.length || hostCpuCount());
  return {
    read: timeString(cur),
    preread: prev ? timeString(prev) : ZERO_TIME,
    pids_stats: {
      ...(cur.raw.pids.current ? { current: cur.raw.pids.current } : {}),
      ...(cur.raw.pids.limit ? { limit: cur.raw.pids.limit } : {}),
    },
    blkio_stats: {
      io_service_bytes_recursive: cur.raw.blkio.serviceBytes.map(blk),
      io_serviced_recursive: cur.raw.blkio.serviced.map(blk),
      io_queue_recursive: [],
      io_service_time_recursive: [],
      io_wait_time_recursive: [],
      io_merged_recursive: [],
      io_time_recursive: [],
      sectors_recursive: [],
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(cur, online),
    precpu_stats: prev ? cpuStats(prev, online) : emptyCpu(),
    memory_stats: memoryStats(cur.raw, ctx.memTotal),
    name: ctx.name,
    id: ctx.id,
  };
}

function timeString(s: StatsSample): string {
  const iso = s.read.toISOString();
  const ns = (s.read.getMilliseconds() * 1_000_000 + (s.readNs ?? 0)).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${ns}Z`;
}

function blk(e: BlkioEntry): BlkioStatEntry {
  return { major: e.major, minor: e.minor, op: e.op, value: e.value };
}

function cpuStats(s: StatsSample, online: number): CpuStats {
  const c = s.raw.cpu;
  return {
    cpu_usage: {
      total_usage: c.totalNs,
      ...(s.raw.version === 1 ? { percpu_usage: c.percpuNs ?? [] } : {}),
      usage_in_kernelmode: c.kernelNs,
      usage_in_usermode: c.userNs,
    },
    system_cpu_usage: s.systemCpuUsage,
    online_cpus: online,
    throttling_data: { periods: c.periods, throttled_periods: c.throttledPeriods, throttled_time: c.throttledTimeNs },
  };
}

function emptyCpu(): CpuStats {
  return {
    cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

function memoryStats(raw: RawCgroupStats, memTotal: number): MemoryStats {
  const keys = raw.version === 1 ? V1_MEMORY_KEYS : V2_MEMORY_KEYS;
  const stats: Record<string, number> = {};
  for (const k of keys) stats[k] = raw.memory.stats[k] ?? 0;
  const limit = raw.memory.limit !== undefined && raw.memory.limit < memTotal ? raw.memory.limit : memTotal;
  return {
    usage: raw.memory.usage,
    ...(raw.version === 1 || raw.memory.maxUsage !== undefined ? { max_usage: raw.memory.maxUsage ?? 0 } : {}),
    stats,
    ...(raw.memory.failcnt ? { failcnt: raw.memory.failcnt } : {}),
    limit,
  };
}
