// Cgroup-neutral limits and the driver contract. The v1 and v2 drivers translate these into their own
// files; the container manager and the shim only see this interface (as containerd's cgroups package).

/** A throttle on one block device, already resolved from its path to major:minor. */
export interface DeviceRate {
  major: number;
  minor: number;
  rate: number;
}

/**
 * Resolved limits. `undefined` means "leave as is" for update() and "no limit" for create().
 * Memory values are bytes; memorySwap is Docker's memory+swap total (-1 = unlimited swap).
 */
export interface CgroupLimits {
  memory?: number;
  memorySwap?: number;
  memoryReservation?: number;
  cpuShares?: number;
  cpuQuota?: number; // µs per period; -1 = unlimited
  cpuPeriod?: number; // µs
  cpusetCpus?: string;
  cpusetMems?: string;
  /** <= 0 = unlimited ("max"). */
  pidsLimit?: number;
  /** Privileged: the devices cgroup allows every device (v1 `a *:* rwm`), as runc's privileged spec. */
  allDevices?: boolean;
  /** --device and --device-cgroup-rule: devices.allow rules added to the default list ("c 10:229 rwm"). */
  deviceRules?: string[];
  blkio?: {
    readBps?: DeviceRate[];
    writeBps?: DeviceRate[];
    readIops?: DeviceRate[];
    writeIops?: DeviceRate[];
  };
}

/** What the host's cgroups can do; used to validate limits the way dockerd does. */
export interface CgroupCapabilities {
  version: 1 | 2;
  ncpu: number;
  /** cpus/mems a container may use (the parent's effective set). */
  cpus: string;
  mems: string;
  memoryLimit: boolean;
  swapLimit: boolean;
  cpuCfs: boolean;
  cpuShares: boolean;
  cpuset: boolean;
  pidsLimit: boolean;
  blkioThrottle: boolean;
  freezer: boolean;
  /** Host memory (bytes), the stats limit when the container has none. */
  memTotal: number;
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

/** Numbers as read from the cgroup files; stats.ts turns them into the Engine API's stats JSON. */
export interface RawCgroupStats {
  version: 1 | 2;
  cpu: {
    totalNs: number;
    /** v1 only (cpuacct.usage_percpu). */
    percpuNs?: number[];
    kernelNs: number;
    userNs: number;
    periods: number;
    throttledPeriods: number;
    throttledTimeNs: number;
  };
  memory: {
    usage: number;
    /** v1 max_usage_in_bytes; v2 memory.peak when the kernel has it. */
    maxUsage?: number;
    failcnt?: number;
    /** Configured limit; undefined when unlimited. */
    limit?: number;
    stats: Record<string, number>;
  };
  blkio: {
    serviceBytes: BlkioEntry[];
    serviced: BlkioEntry[];
  };
  pids: { current: number; limit?: number };
}

export interface CgroupDriver {
  readonly version: 1 | 2;
  /** The parent group name under each controller root ("berth" by default). */
  readonly parent: string;
  capabilities(): Promise<CgroupCapabilities>;
  /** Creates the container's group(s) and applies the limits. */
  create(id: string, limits: CgroupLimits): Promise<void>;
  /** Directories whose cgroup.procs gets the init pid (one per v1 hierarchy, one in v2). */
  paths(id: string): string[];
  update(id: string, limits: CgroupLimits): Promise<void>;
  stats(id: string): Promise<RawCgroupStats>;
  freeze(id: string): Promise<void>;
  thaw(id: string): Promise<void>;
  /** Whether the group is frozen (or freezing) now, whoever froze it; false when it does not exist. */
  frozen(id: string): Promise<boolean>;
  /** Kills what is left in the group, then removes it (retrying EBUSY briefly). Missing = ok. */
  remove(id: string): Promise<void>;
  pids(id: string): Promise<number[]>;
  oomKilled(id: string): Promise<boolean>;
}
