// HostConfig resource fields → CgroupLimits, with dockerd's checks and messages
// (moby daemon/daemon_unix.go verifyPlatformContainerResources), so the CLI shows the same errors.
import * as fsp from 'node:fs/promises';
import { badParameter } from '../errors.js';
import { parseCpuList } from './fsutil.js';
import type { CgroupCapabilities, CgroupLimits, DeviceRate } from './types.js';

export interface ThrottleDevice {
  Path: string;
  Rate: number;
}

/** The HostConfig fields this module understands (Engine API names; HostConfig satisfies it). */
export interface ResourceSpec {
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number | null;
  BlkioDeviceReadBps?: ThrottleDevice[] | null;
  BlkioDeviceWriteBps?: ThrottleDevice[] | null;
  BlkioDeviceReadIOps?: ThrottleDevice[] | null;
  BlkioDeviceWriteIOps?: ThrottleDevice[] | null;
}

export const MIN_MEMORY = 6 * 1024 * 1024;
export const DEFAULT_CPU_PERIOD = 100_000;

export interface ResolvedLimits {
  limits: CgroupLimits;
  /** Shown to the user as dockerd does (create response "Warnings"). */
  warnings: string[];
}

/**
 * Validates and converts. `update` = true follows `docker update` semantics: zero means "unchanged"
 * and the default swap (2 × memory) is not invented.
 */
export async function resolveLimits(r: ResourceSpec, caps: CgroupCapabilities, update = false): Promise<ResolvedLimits> {
  const warnings: string[] = [];
  const l: CgroupLimits = {};
  const mem = r.Memory ?? 0;
  let swap = r.MemorySwap ?? 0;

  // Memory
  if (mem < 0) throw badParameter('Invalid value for memory limit');
  if (mem > 0 && mem < MIN_MEMORY) throw badParameter('Minimum memory limit allowed is 6MB');
  if (mem > 0 && !caps.memoryLimit) {
    warnings.push('Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
  } else if (mem > 0) {
    l.memory = mem;
  }
  if (swap > 0 && mem === 0 && !update) {
    throw badParameter('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (swap > 0 && mem > 0 && swap < mem) {
    throw badParameter('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (l.memory !== undefined || (update && swap !== 0)) {
    if (!caps.swapLimit) {
      if (swap !== 0 && swap !== -1) {
        warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
      }
      // dockerd sets MemorySwap = -1 here: the limit applies to memory only.
    } else if (swap === -1) {
      l.memorySwap = -1;
    } else if (swap > 0) {
      l.memorySwap = swap;
    } else if (!update && l.memory !== undefined) {
      swap = l.memory * 2; // Docker's default: as much swap as memory
      l.memorySwap = swap;
    }
  }
  if (r.MemoryReservation) {
    if (r.MemoryReservation < 0) throw badParameter('Invalid value for memory reservation');
    if (mem > 0 && r.MemoryReservation > mem) {
      throw badParameter('Minimum memory limit can not be less than memory reservation limit, see usage');
    }
    l.memoryReservation = r.MemoryReservation;
  }

  // CPU
  const nano = r.NanoCpus ?? 0;
  if (nano !== 0) {
    if (r.CpuPeriod) throw badParameter('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    if (r.CpuQuota) throw badParameter('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
    if (nano < 0 || nano > caps.ncpu * 1e9) {
      throw badParameter(
        `Range of CPUs is from 0.01 to ${caps.ncpu}.00, as there are only ${caps.ncpu} CPUs available`,
      );
    }
    if (!caps.cpuCfs) {
      throw badParameter('NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted');
    }
    l.cpuPeriod = DEFAULT_CPU_PERIOD;
    l.cpuQuota = Math.floor((nano * DEFAULT_CPU_PERIOD) / 1e9);
    if (l.cpuQuota < 1000) {
      throw badParameter(`Range of CPUs is from 0.01 to ${caps.ncpu}.00, as there are only ${caps.ncpu} CPUs available`);
    }
  }
  if (r.CpuPeriod) {
    if (r.CpuPeriod < 1000 || r.CpuPeriod > 1_000_000) {
      throw badParameter('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
    }
    if (!caps.cpuCfs) warnings.push('Your kernel does not support CPU cfs period or the cgroup is not mounted. Period discarded.');
    else l.cpuPeriod = r.CpuPeriod;
  }
  if (r.CpuQuota) {
    if (r.CpuQuota > 0 && r.CpuQuota < 1000) throw badParameter('CPU cfs quota can not be less than 1ms (i.e. 1000)');
    if (!caps.cpuCfs) warnings.push('Your kernel does not support CPU cfs quota or the cgroup is not mounted. Quota discarded.');
    else l.cpuQuota = r.CpuQuota < 0 ? -1 : r.CpuQuota;
  }
  if (r.CpuShares) {
    if (r.CpuShares < 0) throw badParameter('shares: invalid argument');
    if (!caps.cpuShares) warnings.push('Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.');
    // The kernel clamps to [2, 262144]; clamp first so v1 read-back and the v2 conversion agree.
    else l.cpuShares = Math.min(262_144, Math.max(2, r.CpuShares));
  }
  if (r.CpusetCpus) {
    l.cpusetCpus = checkSet(r.CpusetCpus, caps.cpus, 'cpus', 'CPUs');
  }
  if (r.CpusetMems) {
    l.cpusetMems = checkSet(r.CpusetMems, caps.mems, 'mems', 'memory nodes');
  }

  // Pids: 0 and -1 (and any negative) mean unlimited, as in Docker.
  if (r.PidsLimit !== undefined && r.PidsLimit !== null) {
    if (!caps.pidsLimit) warnings.push("Your kernel does not support pids limit capabilities or the cgroup is not mounted. PIDs limit discarded.");
    else l.pidsLimit = r.PidsLimit > 0 ? r.PidsLimit : 0;
  }

  // Block IO throttles: paths become major:minor now, so a missing device fails at create.
  const lists = [
    ['readBps', r.BlkioDeviceReadBps, 'read bps'],
    ['writeBps', r.BlkioDeviceWriteBps, 'write bps'],
    ['readIops', r.BlkioDeviceReadIOps, 'read iops'],
    ['writeIops', r.BlkioDeviceWriteIOps, 'write iops'],
  ] as const;
  for (const [key, devs, what] of lists) {
    if (!devs || devs.length === 0) continue;
    if (!caps.blkioThrottle) {
      warnings.push(`Your kernel does not support BPS Block I/O ${what} limit or the cgroup is not mounted. Block I/O BPS ${what} limit discarded.`);
      continue;
    }
    const out: DeviceRate[] = [];
    for (const d of devs) {
      if (!Number.isInteger(d.Rate) || d.Rate < 0) throw badParameter(`invalid rate for device ${d.Path}: ${d.Rate}`);
      out.push({ ...(await deviceNumber(d.Path)), rate: d.Rate });
    }
    l.blkio ??= {};
    l.blkio[key] = out;
  }
  return { limits: l, warnings };
}

function checkSet(requested: string, available: string, kind: 'cpus' | 'mems', noun: string): string {
  let req: number[];
  try {
    req = parseCpuList(requested);
  } catch {
    throw badParameter(`Invalid value ${requested} for cpuset ${kind}`);
  }
  const avail = new Set(parseCpuList(available));
  if (req.length === 0 || req.some((c) => !avail.has(c))) {
    throw badParameter(`Requested ${noun} are not available - requested ${requested}, available: ${available}`);
  }
  return requested;
}

/** stat() of the device node → major:minor; Docker's error when it is missing or not a block device. */
export async function deviceNumber(path: string): Promise<{ major: number; minor: number }> {
  let st;
  try {
    st = await fsp.stat(path);
  } catch {
    throw badParameter(`${path}: no such device`);
  }
  if (!st.isBlockDevice()) throw badParameter(`${path} is not a block device: no such device`);
  // Linux dev_t encoding (glibc gnu_dev_major/minor).
  const rdev = BigInt(st.rdev);
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}
