// cgroup v2: one tree, /<root>/<parent>/<id>. Controllers must be enabled in cgroup.subtree_control of
// every ancestor before a child gets their files, so create() enables them level by level.
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
  readTextOr,
  rmdirRetry,
  sleep,
  writeValue,
} from './fsutil.js';
import { attachDeviceFilter } from '../native/index.js';
import { DEFAULT_DEVICE_ALLOW, deviceFilterRules } from './devices.js';
import type { BlkioEntry, CgroupCapabilities, CgroupDriver, CgroupLimits, DeviceRate, RawCgroupStats } from './types.js';

export interface CgroupV2Options {
  /** The cgroup2 mount point (/sys/fs/cgroup on a pure v2 host). */
  root: string;
  parent?: string;
}

const WANTED = ['cpu', 'cpuset', 'memory', 'io', 'pids'];

/** runc's conversion of v1 cpu.shares [2..262144] to v2 cpu.weight [1..10000]. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

export class CgroupV2Driver implements CgroupDriver {
  readonly version = 2 as const;
  readonly parent: string;
  readonly root: string;

  constructor(opts: CgroupV2Options) {
    this.root = opts.root;
    this.parent = opts.parent ?? 'berth';
  }

  private dir(id: string): string {
    return path.join(this.root, this.parent, id);
  }

  paths(id: string): string[] {
    checkId(id);
    return [this.dir(id)];
  }

  async capabilities(): Promise<CgroupCapabilities> {
    const ctrls = new Set(((await readTextOr(path.join(this.root, 'cgroup.controllers'), '')) ?? '').split(/\s+/));
    const parentDir = path.join(this.root, this.parent);
    const eff = async (f: string) =>
      (await readTextOr(path.join(parentDir, f), undefined)) || (await readTextOr(path.join(this.root, f), undefined)) || '';
    return {
      version: 2,
      ncpu: hostCpuCount(),
      cpus: (await eff('cpuset.cpus.effective')) || `0-${hostCpuCount() - 1}`,
      mems: (await eff('cpuset.mems.effective')) || '0',
      memoryLimit: ctrls.has('memory'),
      // memory.swap.max exists only with swap accounting; check a child-level file name on the parent.
      swapLimit: ctrls.has('memory') && ((await exists(path.join(parentDir, 'memory.swap.max'))) || !(await exists(parentDir))),
      cpuCfs: ctrls.has('cpu'),
      cpuShares: ctrls.has('cpu'),
      cpuset: ctrls.has('cpuset'),
      pidsLimit: ctrls.has('pids'),
      blkioThrottle: ctrls.has('io'),
      freezer: true, // cgroup.freeze is core in v2 (kernel ≥ 5.2)
      memTotal: await memTotal(),
    };
  }

  /** Enables the wanted controllers (those available) in dir's cgroup.subtree_control. */
  private async enableControllers(dir: string): Promise<void> {
    const available = ((await readTextOr(path.join(dir, 'cgroup.controllers'), '')) ?? '').split(/\s+/);
    const enabled = new Set(((await readTextOr(path.join(dir, 'cgroup.subtree_control'), '')) ?? '').split(/\s+/));
    const add = WANTED.filter((c) => available.includes(c) && !enabled.has(c));
    if (add.length > 0) await writeValue(path.join(dir, 'cgroup.subtree_control'), add.map((c) => `+${c}`).join(' '));
  }

  async create(id: string, limits: CgroupLimits): Promise<void> {
    checkId(id);
    let cur = this.root;
    for (const part of this.parent.split('/').filter(Boolean)) {
      await this.enableControllers(cur);
      cur = path.join(cur, part);
      await fsp.mkdir(cur).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
    }
    await this.enableControllers(cur);
    const dir = this.dir(id);
    await fsp.mkdir(dir);
    try {
      // The devices allow list (v1's devices.allow) as a BPF program on a real cgroup2 directory;
      // Privileged allows every device, so nothing is attached (runc attaches an allow-all program).
      if (!limits.allDevices && (await exists(path.join(dir, 'cgroup.controllers')))) {
        attachDeviceFilter(dir, deviceFilterRules([...DEFAULT_DEVICE_ALLOW, ...(limits.deviceRules ?? [])]));
      }
      await this.apply(dir, limits);
    } catch (e) {
      await rmdirRetry(dir).catch(() => {});
      throw e;
    }
  }

  update(id: string, limits: CgroupLimits): Promise<void> {
    checkId(id);
    return this.apply(this.dir(id), limits);
  }

  private async apply(dir: string, l: CgroupLimits): Promise<void> {
    if (l.memory !== undefined) await writeValue(path.join(dir, 'memory.max'), l.memory > 0 ? l.memory : 'max');
    // resolveLimits leaves memorySwap out when the host has no swap accounting.
    if (l.memorySwap !== undefined) {
      // v2 limits swap alone; Docker's MemorySwap is memory+swap.
      const swap = l.memorySwap === -1 ? 'max' : Math.max(0, l.memorySwap - (l.memory ?? (await readInt(path.join(dir, 'memory.max'))) ?? 0));
      await writeValue(path.join(dir, 'memory.swap.max'), swap);
    }
    if (l.memoryReservation !== undefined) await writeValue(path.join(dir, 'memory.low'), l.memoryReservation || 0);
    if (l.cpuShares !== undefined) await writeValue(path.join(dir, 'cpu.weight'), sharesToWeight(l.cpuShares) || 100);
    if (l.cpuQuota !== undefined || l.cpuPeriod !== undefined) {
      const cur = ((await readTextOr(path.join(dir, 'cpu.max'), 'max 100000')) ?? 'max 100000').split(/\s+/);
      const quota = l.cpuQuota === undefined ? cur[0] : l.cpuQuota > 0 ? String(l.cpuQuota) : 'max';
      const period = l.cpuPeriod ?? cur[1] ?? 100000;
      await writeValue(path.join(dir, 'cpu.max'), `${quota} ${period}`);
    }
    if (l.cpusetCpus !== undefined) await writeValue(path.join(dir, 'cpuset.cpus'), l.cpusetCpus);
    if (l.cpusetMems !== undefined) await writeValue(path.join(dir, 'cpuset.mems'), l.cpusetMems);
    if (l.pidsLimit !== undefined) await writeValue(path.join(dir, 'pids.max'), l.pidsLimit > 0 ? l.pidsLimit : 'max');
    if (l.blkio) {
      // io.max takes one line per device with any subset of keys; 0 means "max" (no limit).
      const byDev = new Map<string, string[]>();
      const add = (devs: DeviceRate[] | undefined, key: string) => {
        for (const d of devs ?? []) {
          const k = `${d.major}:${d.minor}`;
          const list = byDev.get(k) ?? [];
          list.push(`${key}=${d.rate > 0 ? d.rate : 'max'}`);
          byDev.set(k, list);
        }
      };
      add(l.blkio.readBps, 'rbps');
      add(l.blkio.writeBps, 'wbps');
      add(l.blkio.readIops, 'riops');
      add(l.blkio.writeIops, 'wiops');
      for (const [dev, kv] of byDev) await writeValue(path.join(dir, 'io.max'), `${dev} ${kv.join(' ')}`);
    }
  }

  pids(id: string): Promise<number[]> {
    checkId(id);
    return readPids(path.join(this.dir(id), 'cgroup.procs'));
  }

  freeze(id: string): Promise<void> {
    return this.setFrozen(id, true);
  }

  thaw(id: string): Promise<void> {
    return this.setFrozen(id, false);
  }

  async frozen(id: string): Promise<boolean> {
    checkId(id);
    // cgroup.freeze is what was asked (the kernel may still be freezing): that is the state to report.
    const v = await readTextOr(path.join(this.dir(id), 'cgroup.freeze'), undefined);
    return v !== undefined && v.trim() === '1';
  }

  private async setFrozen(id: string, frozen: boolean): Promise<void> {
    checkId(id);
    const dir = this.dir(id);
    await writeValue(path.join(dir, 'cgroup.freeze'), frozen ? 1 : 0);
    // Freezing completes asynchronously; cgroup.events says when.
    const deadline = Date.now() + 5000;
    for (;;) {
      const ev = parseKeyValues((await readTextOr(path.join(dir, 'cgroup.events'), '')) ?? '');
      if (ev['frozen'] === undefined || ev['frozen'] === (frozen ? 1 : 0)) return;
      if (Date.now() > deadline) throw new Error(`cgroup ${id}: not ${frozen ? 'frozen' : 'thawed'} after 5s`);
      await sleep(2);
    }
  }

  async remove(id: string): Promise<void> {
    checkId(id);
    const dir = this.dir(id);
    if (!(await exists(dir))) return;
    // cgroup.kill (5.14+) kills atomically, including tasks forked meanwhile.
    const killFile = path.join(dir, 'cgroup.kill');
    if (await exists(killFile)) await writeValue(killFile, 1).catch(() => {});
    killAll(await readPids(path.join(dir, 'cgroup.procs')));
    await rmdirRetry(dir);
  }

  async oomKilled(id: string): Promise<boolean> {
    checkId(id);
    const ev = parseKeyValues((await readTextOr(path.join(this.dir(id), 'memory.events'), '')) ?? '');
    return (ev['oom_kill'] ?? 0) > 0;
  }

  async stats(id: string): Promise<RawCgroupStats> {
    checkId(id);
    const dir = this.dir(id);
    const kv = async (f: string) => parseKeyValues((await readTextOr(path.join(dir, f), '')) ?? '');
    const cpu = await kv('cpu.stat');
    const ev = await kv('memory.events');
    const peak = await readInt(path.join(dir, 'memory.peak'));
    const limit = await readInt(path.join(dir, 'memory.max'));
    const pidsMax = await readInt(path.join(dir, 'pids.max'));
    return {
      version: 2,
      cpu: {
        totalNs: (cpu['usage_usec'] ?? 0) * 1000,
        kernelNs: (cpu['system_usec'] ?? 0) * 1000,
        userNs: (cpu['user_usec'] ?? 0) * 1000,
        periods: cpu['nr_periods'] ?? 0,
        throttledPeriods: cpu['nr_throttled'] ?? 0,
        throttledTimeNs: (cpu['throttled_usec'] ?? 0) * 1000,
      },
      memory: {
        usage: (await readInt(path.join(dir, 'memory.current'))) ?? 0,
        ...(peak !== undefined ? { maxUsage: peak } : {}),
        failcnt: ev['max'] ?? 0,
        limit,
        stats: await kv('memory.stat'),
      },
      blkio: parseIoStat((await readTextOr(path.join(dir, 'io.stat'), '')) ?? ''),
      pids: {
        current: (await readInt(path.join(dir, 'pids.current'))) ?? 0,
        ...(pidsMax !== undefined ? { limit: pidsMax } : {}),
      },
    };
  }
}

/** io.stat "maj:min rbytes=… wbytes=… rios=… wios=…" → Docker's v2 entries (ops "read"/"write"). */
export function parseIoStat(text: string): { serviceBytes: BlkioEntry[]; serviced: BlkioEntry[] } {
  const serviceBytes: BlkioEntry[] = [];
  const serviced: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const [dev, ...fields] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const major = Number(m[1]);
    const minor = Number(m[2]);
    const f: Record<string, number> = {};
    for (const x of fields) {
      const [k, v] = x.split('=');
      if (k && v !== undefined) f[k] = Number(v);
    }
    serviceBytes.push({ major, minor, op: 'read', value: f['rbytes'] ?? 0 }, { major, minor, op: 'write', value: f['wbytes'] ?? 0 });
    serviced.push({ major, minor, op: 'read', value: f['rios'] ?? 0 }, { major, minor, op: 'write', value: f['wios'] ?? 0 });
  }
  return { serviceBytes, serviced };
}

