// What Berth keeps per container: config.json (what the client asked for, plus what create derived)
// and state.json (the state machine). Both are rewritten atomically on every change.
import type { CgroupLimits } from '../cgroups/types.js';
import type { ContainerConfig, ContainerState, HostConfig } from '../engine/types.js';
import type { PublishedPort } from '../native/index.js';
import type { EndpointRecord } from '../networks/types.js';
import type { ContainerMount } from '../volumes/types.js';
import type { HealthState } from '../health/monitor.js';
import type { ContainerIdRange } from '../userns/index.js';

export interface ContainerConfigFile {
  id: string;
  /** With the leading '/'. */
  name: string;
  created: string;
  /** The image ID (config digest) resolved at create. */
  imageId: string;
  /** The top chain ID of the image, parent of the container's snapshot. */
  imageChainId: string;
  snapshotKey: string;
  /** Config as inspect shows it (merged with the image's). */
  config: ContainerConfig;
  hostConfig: HostConfig;
  path: string;
  args: string[];
  /** Limits resolved and validated at create (devices already major:minor). */
  limits: CgroupLimits;
  warnings: string[];
  /** GraphDriver.Data as inspect shows it (fixed at create). */
  graphDriver: Record<string, string>;
  /** The storage driver that holds its snapshot (absent: overlay, from before there were others). */
  storageDriver?: 'overlay' | 'btrfs' | 'vfs';
  /** Volumes, binds and tmpfs mounts resolved at create (src/volumes). */
  mounts?: ContainerMount[];
  /** Network name → endpoint (address from IPAM, veth names); src/networks. */
  endpoints?: Record<string, EndpointRecord>;
  /** Its user namespace's host range (src/userns), fixed at create; absent: the host's ids. */
  userns?: ContainerIdRange;
  /**
   * The fallback where the storage refuses idmapped mounts: chowned copies of the image's layers
   * (top-most first, src/userns/layer-copies.ts) that its overlay stacks instead of the image's own;
   * its upper dir and init layer then hold host ids. Absent: the layers arrive idmapped.
   */
  usernsLowers?: string[];
}

export type Status = ContainerState['Status'];

export interface ContainerStateFile {
  status: Status;
  pid: number;
  shimPid: number;
  exitCode: number;
  oomKilled: boolean;
  error: string;
  startedAt: string;
  finishedAt: string;
  restartCount: number;
  /** /proc/sys/kernel/random/boot_id when it started: a different one means the host rebooted. */
  bootId?: string;
  /** Set while a stop/kill we asked for is in flight, so the exit emits 'stop'. */
  stopping?: boolean;
  /** Host ports the shim bound for this run (its status line); absent when not running. */
  ports?: PublishedPort[];
  /** The user stopped or killed it: restart policies stay off until the next start (moby's HasBeenManuallyStopped). */
  manuallyStopped?: boolean;
  /** The back-off delay of the last policy restart (ms), doubled on the next one. */
  restartDelayMs?: number;
  /** State.Health, while the container has a health check. */
  health?: HealthState;
}

export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export function initialState(): ContainerStateFile {
  return {
    status: 'created',
    pid: 0,
    shimPid: 0,
    exitCode: 0,
    oomKilled: false,
    error: '',
    startedAt: GO_ZERO_TIME,
    finishedAt: GO_ZERO_TIME,
    restartCount: 0,
  };
}

export interface ContainerRecord {
  cfg: ContainerConfigFile;
  state: ContainerStateFile;
}

/** A run in progress: running, paused, or waiting for a policy restart. */
export function isActive(rec: ContainerRecord): boolean {
  const s = rec.state.status;
  return s === 'running' || s === 'paused' || s === 'restarting';
}
