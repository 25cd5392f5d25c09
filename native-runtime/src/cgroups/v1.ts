// cgroup v1: one directory per hierarchy, /<mount>/<parent>/<id>. Hierarchies may be separate
// (cpu, cpuacct) or combined (cpu,cpuacct); `mounts` maps each controller to its mount point, and
// combined mounts simply appear twice with the same path.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import {
  checkId,
  exists,
  hostCpuCount,
  killAll,
  memTotal,
  parseKeyValues,
  readInt,
  readPids,
  readText,
  readTextOr,
  rmdirRetry,
  sleep,
  writeValue,
} from './fsutil.js';
import { internal } from '../errors.js';
import { DEFAULT_DEVICE_ALLOW } from './devices.js';
import type { BlkioEntry, CgroupCapabilities, CgroupDriver, CgroupLimits, DeviceRate, RawCgroupStats } from './types.js';

export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'blkio', 'pids', 'freezer', 'devices'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

export interface CgroupV1Options {
  /** Controller → mount point, e.g. { cpu: '/sys/fs/cgroup/cpu', … } (detectCgroups() finds these). */
  mounts: Partial<Record<V1Controller, string>>;
  parent?: string;
  /**
   * Mount point of the `name=systemd` hierarchy: the container gets a group there too, as runc's cgroupfs
   * manager gives it, so /sys/fs/cgroup/systemd inside shows its own (systemd in a container needs it).
   */
  systemd?: string;
}


// cpuacct.stat is in USER_HZ; Linux reports it as 100 on every architecture Docker supports.
const NS_PER_TICK = 10_000_000;
const UNLIMITED = '-1';

export class CgroupV1Driver implements CgroupDriver {
  readonly version = 1 as const;
  readonly parent: string;
  private readonly mounts: Partial<Record<V1Controller, string>>;
  private readonly systemd: string | undefined;

  constructor(opts: CgroupV1Options) {
    this.mounts = opts.mounts;
    this.systemd = opts.systemd;
    this.parent = opts.parent ?? 'berth';
  }

  private dir(ctrl: V1Controller, id: string): string | undefined {
    const m = this.mounts[ctrl];
    return m === undefined ? undefined : path.join(m, this.parent, id);
  }

  private must(ctrl: V1Controller, id: string): string {
    const d = this.dir(ctrl, id);
    if (!d) throw new Error(`cgroup v1 controller ${ctrl} is not mounted`);
    return d;
  }

  paths(id: string): string[] {
    checkId(id);
    const seen = new Set<string>();
    for (const c of V1_CONTROLLERS) {
      const d = this.dir(c, id);
      if (d) seen.add(d);
    }
    if (this.systemd) seen.add(path.join(this.systemd, this.parent, id));
    return [...seen];
  }

  async capabilities(): Promise<CgroupCapabilities> {
    const m = this.mounts;
    const cpusetRoot = m.cpuset ? path.join(m.cpuset, this.parent) : undefined;
    const readSet = async (f: string) =>
      (cpusetRoot && (await readTextOr(path.join(cpusetRoot, f), undefined))) ||
      (m.cpuset ? await readTextOr(path.join(m.cpuset, f), '') : '') ||
      '';
    return {
      version: 1,
      ncpu: hostCpuCount(),
      cpus: (await readSet('cpuset.cpus')) || `0-${hostCpuCount() - 1}`,
      mems: (await readSet('cpuset.mems')) || '0',
      memoryLimit: !!m.memory,
      swapLimit: !!m.memory && (await exists(path.join(m.memory, 'memory.memsw.limit_in_bytes'))),
      cpuCfs: !!m.cpu && (await exists(path.join(m.cpu, 'cpu.cfs_quota_us'))),
      cpuShares: !!m.cpu && (await exists(path.join(m.cpu, 'cpu.shares'))),
      cpuset: !!m.cpuset,
      pidsLimit: !!m.pids,
      blkioThrottle: !!m.blkio && (await exists(path.join(m.blkio, 'blkio.throttle.read_bps_device'))),
      freezer: !!m.freezer,
      memTotal: await memTotal(),
    };
  }

  /** mkdir each missing level; cpuset levels start empty, so copy the parent's cpus/mems first. */
  private async ensure(ctrl: V1Controller, id: string): Promise<string | undefined> {
    const root = this.mounts[ctrl];
    if (!root) return undefined;
    let cur = root;
    for (const part of [...this.parent.split('/').filter(Boolean), id]) {
      const next = path.join(cur, part);
      let created = false;
      try {
        fs.mkdirSync(next);
        created = true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      if (ctrl === 'cpuset') {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          if (created || (await readText(path.join(next, f))) === '') {
            await writeValue(path.join(next, f), await readText(path.join(cur, f)));
          }
        }
      }
      cur = next;
    }
    return cur;
  }

  async create(id: string, limits: CgroupLimits): Promise<void> {
    checkId(id);
    try {
      for (const c of V1_CONTROLLERS) await this.ensure(c, id);
      if (this.systemd) fs.mkdirSync(path.join(this.systemd, this.parent, id), { recursive: true });
      const dev = this.dir('devices', id);
      if (dev) {
        await writeValue(path.join(dev, 'devices.deny'), 'a *:* rwm');
        for (const rule of limits.allDevices ? ['a *:* rwm'] : [...DEFAULT_DEVICE_ALLOW, ...(limits.deviceRules ?? [])]) await writeValue(path.join(dev, 'devices.allow'), rule);
      }
      const pidsDir = this.dir('pids', id);
      if (pidsDir && limits.pidsLimit === undefined) await writeValue(path.join(pidsDir, 'pids.max'), 'max');
      await this.apply(id, limits);
    } catch (e) {
      await this.remove(id).catch(() => {});
      throw e;
    }
  }

  update(id: string, limits: CgroupLimits): Promise<void> {
    checkId(id);
    return this.apply(id, limits);
  }

  private async apply(id: string, l: CgroupLimits): Promise<void> {
    const mem = this.dir('memory', id);
    if (mem && (l.memory !== undefined || l.memorySwap !== undefined)) {
      await setMemory(mem, l.memory, l.memorySwap);
    }
    if (mem && l.memoryReservation !== undefined) {
      await writeValue(path.join(mem, 'memory.soft_limit_in_bytes'), l.memoryReservation || UNLIMITED);
    }
    const cpu = this.dir('cpu', id);
    if (cpu) {
      if (l.cpuShares !== undefined) await writeValue(path.join(cpu, 'cpu.shares'), l.cpuShares);
      // Period first: the kernel checks quota against the current period.
      if (l.cpuPeriod !== undefined) await writeValue(path.join(cpu, 'cpu.cfs_period_us'), l.cpuPeriod);
      if (l.cpuQuota !== undefined) await writeValue(path.join(cpu, 'cpu.cfs_quota_us'), l.cpuQuota);
    }
    const cpuset = this.dir('cpuset', id);
    if (cpuset) {
      if (l.cpusetCpus !== undefined) await writeValue(path.join(cpuset, 'cpuset.cpus'), l.cpusetCpus);
      if (l.cpusetMems !== undefined) await writeValue(path.join(cpuset, 'cpuset.mems'), l.cpusetMems);
    }
    const pids = this.dir('pids', id);
    if (pids && l.pidsLimit !== undefined) {
      await writeValue(path.join(pids, 'pids.max'), l.pidsLimit > 0 ? l.pidsLimit : 'max');
    }
    const blkio = this.dir('blkio', id);
    if (blkio && l.blkio) {
      const files: [DeviceRate[] | undefined, string][] = [
        [l.blkio.readBps, 'blkio.throttle.read_bps_device'],
        [l.blkio.writeBps, 'blkio.throttle.write_bps_device'],
        [l.blkio.readIops, 'blkio.throttle.read_iops_device'],
        [l.blkio.writeIops, 'blkio.throttle.write_iops_device'],
      ];
      // One device per write: the kernel parses a single "maj:min value" per write(2). 0 removes it.
      for (const [devs, f] of files) for (const d of devs ?? []) await writeValue(path.join(blkio, f), `${d.major}:${d.minor} ${d.rate}`);
    }
  }

  async pids(id: string): Promise<number[]> {
    checkId(id);
    // Every task is in every hierarchy; pids (or freezer) is the cheapest to read.
    for (const c of ['pids', 'freezer', 'memory', 'cpu'] as const) {
      const d = this.dir(c, id);
      if (d && (await exists(d))) return readPids(path.join(d, 'cgroup.procs'));
    }
    return [];
  }

  async freeze(id: string): Promise<void> {
    await this.setFreezer(id, 'FROZEN');
  }

  async thaw(id: string): Promise<void> {
    await this.setFreezer(id, 'THAWED');
  }

  async frozen(id: string): Promise<boolean> {
    checkId(id);
    const d = this.dir('freezer', id);
    if (!d) return false;
    const st = await readTextOr(path.join(d, 'freezer.state'), undefined);
    return st !== undefined && st !== 'THAWED';
  }

  private async setFreezer(id: string, state: 'FROZEN' | 'THAWED'): Promise<void> {
    checkId(id);
    const f = path.join(this.must('freezer', id), 'freezer.state');
    // FREEZING is transient; re-write until the state sticks (as runc does).
    const deadline = Date.now() + 5000;
    for (;;) {
      await writeValue(f, state);
      if ((await readText(f)) === state) return;
      if (Date.now() > deadline) throw new Error(`cgroup ${id}: freezer stuck before ${state}`);
      await sleep(2);
    }
  }

  async remove(id: string): Promise<void> {
    checkId(id);
    const dirs = this.paths(id);
    const freezer = this.dir('freezer', id);
    // Freeze so nothing forks while we kill, then thaw so the SIGKILLs are delivered.
    // An empty group (the usual case: the container already exited) needs no freeze/kill/thaw round.
    const occupied = (await Promise.all(dirs.map((d) => readPids(path.join(d, 'cgroup.procs'))))).some((p) => p.length > 0);
    if (occupied) {
      const frozen = freezer && (await exists(freezer)) ? await this.freeze(id).then(() => true, () => false) : false;
      for (const d of dirs) killAll(await readPids(path.join(d, 'cgroup.procs')));
      if (frozen) await this.thaw(id).catch(() => {});
    }
    for (const d of dirs) await rmdirRetry(d);
  }

  async oomKilled(id: string): Promise<boolean> {
    checkId(id);
    const mem = this.dir('memory', id);
    if (!mem) return false;
    const t = await readTextOr(path.join(mem, 'memory.oom_control'), undefined);
    return t !== undefined && (parseKeyValues(t)['oom_kill'] ?? 0) > 0;
  }

  async stats(id: string): Promise<RawCgroupStats> {
    checkId(id);
    const acct = this.dir('cpuacct', id);
    const cpu = this.dir('cpu', id);
    const mem = this.dir('memory', id);
    const blkio = this.dir('blkio', id);
    const pids = this.dir('pids', id);
    const acctStat = acct ? parseKeyValues((await readTextOr(path.join(acct, 'cpuacct.stat'), '')) ?? '') : {};
    const cpuStat = cpu ? parseKeyValues((await readTextOr(path.join(cpu, 'cpu.stat'), '')) ?? '') : {};
    const percpu = acct ? await readTextOr(path.join(acct, 'cpuacct.usage_percpu'), undefined) : undefined;
    const memStat = mem ? parseKeyValues((await readTextOr(path.join(mem, 'memory.stat'), '')) ?? '') : {};
    const limit = mem ? await readInt(path.join(mem, 'memory.limit_in_bytes')) : undefined;
    const pidsMax = pids ? await readInt(path.join(pids, 'pids.max')) : undefined;
    return {
      version: 1,
      cpu: {
        totalNs: (acct && (await readInt(path.join(acct, 'cpuacct.usage')))) || 0,
        percpuNs: percpu ? percpu.split(/\s+/).filter(Boolean).map(Number) : [],
        kernelNs: (acctStat['system'] ?? 0) * NS_PER_TICK,
        userNs: (acctStat['user'] ?? 0) * NS_PER_TICK,
        periods: cpuStat['nr_periods'] ?? 0,
        throttledPeriods: cpuStat['nr_throttled'] ?? 0,
        throttledTimeNs: cpuStat['throttled_time'] ?? 0,
      },
      memory: {
        usage: (mem && (await readInt(path.join(mem, 'memory.usage_in_bytes')))) || 0,
        maxUsage: (mem && (await readInt(path.join(mem, 'memory.max_usage_in_bytes')))) || 0,
        failcnt: (mem && (await readInt(path.join(mem, 'memory.failcnt')))) || 0,
        // The kernel's "unlimited" is a huge page-aligned number; treat it as no limit.
        limit: limit !== undefined && limit < 2 ** 62 ? limit : undefined,
        stats: memStat,
      },
      blkio: blkio ? await readBlkio(blkio) : { serviceBytes: [], serviced: [] },
      pids: {
        current: (pids && (await readInt(path.join(pids, 'pids.current')))) || 0,
        ...(pidsMax !== undefined ? { limit: pidsMax } : {}),
      },
    };
  }
}

/** memsw must stay ≥ limit at every step, so the order depends on whether we grow or shrink. */
async function setMemory(dir: string, memory: number | undefined, memorySwap: number | undefined): Promise<void> {
  const swapFile = path.join(dir, 'memory.memsw.limit_in_bytes');
  const hasSwap = await exists(swapFile);
  const mem = memory === undefined ? undefined : String(memory);
  const swap = memorySwap === undefined || !hasSwap ? undefined : String(memorySwap);
  if (swap === undefined) {
    if (mem !== undefined) await writeMemoryLimit(dir, mem);
    return;
  }
  const current = Number(await readText(swapFile));
  const growing = memorySwap === -1 || (memorySwap !== undefined && memorySwap > current);
  if (growing) {
    await writeValue(swapFile, swap);
    if (mem !== undefined) await writeMemoryLimit(dir, mem);
  } else {
    if (mem !== undefined) await writeMemoryLimit(dir, mem);
    await writeValue(swapFile, swap);
  }
}

/** EBUSY: the limit is below what the group uses and the kernel could not reclaim it. Said as runc says it. */
async function writeMemoryLimit(dir: string, value: string): Promise<void> {
  try {
    await writeValue(path.join(dir, 'memory.limit_in_bytes'), value);
  } catch (e) {
    if ((e as { cause?: NodeJS.ErrnoException }).cause?.code !== 'EBUSY') throw e;
    const usage = (await readText(path.join(dir, 'memory.usage_in_bytes'))).trim();
    const peak = (await readText(path.join(dir, 'memory.max_usage_in_bytes'))).trim();
    throw internal(`unable to set memory limit to ${value} (current usage: ${usage}, peak usage: ${peak})`, e);
  }
}

/** dockerd prefers the CFQ/BFQ recursive files and falls back to the throttle ones when empty. */
async function readBlkio(dir: string): Promise<{ serviceBytes: BlkioEntry[]; serviced: BlkioEntry[] }> {
  const pick = async (names: string[]) => {
    for (const n of names) {
      const t = await readTextOr(path.join(dir, n), undefined);
      const entries = t === undefined ? [] : parseBlkio(t);
      if (entries.length > 0) return entries;
    }
    return [];
  };
  return {
    serviceBytes: await pick(['blkio.io_service_bytes_recursive', 'blkio.throttle.io_service_bytes_recursive']),
    serviced: await pick(['blkio.io_serviced_recursive', 'blkio.throttle.io_serviced_recursive']),
  };
}

export function parseBlkio(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 3) continue; // skips the trailing "Total N"
    const m = /^(\d+):(\d+)$/.exec(f[0]!);
    if (!m) continue;
    out.push({ major: Number(m[1]), minor: Number(m[2]), op: f[1]!, value: Number(f[2]) });
  }
  return out;
}
