// containerd's snapshotter vocabulary, one interface over the overlay, btrfs and vfs drivers.

/** The storage drivers (BERTH_STORAGE_DRIVER; docs/storage.md). */
export const DRIVER_NAMES = ['overlay', 'btrfs', 'vfs'] as const;
export type DriverName = (typeof DRIVER_NAMES)[number];

/** dockerd's name for a driver (GraphDriver.Name, `docker info` Driver): its overlay driver is overlay2. */
export function dockerDriverName(d: DriverName | undefined): string {
  return !d || d === 'overlay' ? 'overlay2' : d;
}

export type SnapshotKind = 'committed' | 'active' | 'view';

export interface SnapshotInfo {
  key: string;
  /** Name of the committed parent snapshot, if any. */
  parent?: string;
  kind: SnapshotKind;
  created: string;
  updated: string;
  labels?: Record<string, string>;
}

/** containerd's Mount. */
export interface Mount {
  type: string;
  source: string;
  options: string[];
}

/**
 * What the shim needs to mount the rootfs: lowers are relative to `cwd` to keep the option short.
 * btrfs and vfs snapshots are complete trees: `rootfs` names the directory that is bound instead (their
 * `upper`/`lower` name the same tree, so readers of layer dirs see one layer).
 */
export interface OverlayMounts {
  rootfs?: string;
  cwd: string;
  /** `l/<short>` links, top-most first. Empty when the snapshot has no parent. */
  lower: string[];
  upper?: string;
  work?: string;
  readonly?: boolean;
}

import type { Usage } from '../util/du.js';
export type { Usage };

export interface Snapshotter {
  readonly driver: DriverName;
  /** The driver's directory under the data root. */
  readonly root: string;
  prepare(key: string, parent?: string, opts?: PrepareOptions): Promise<OverlayMounts>;
  view(key: string, parent: string, opts?: { labels?: Record<string, string> }): Promise<OverlayMounts>;
  commit(name: string, activeKey: string, opts?: { labels?: Record<string, string> }): Promise<void>;
  mounts(key: string): Promise<OverlayMounts>;
  /** 'deferred': the record as in PrepareOptions; the files are moved aside and deleted in the background. */
  remove(key: string, opts?: { durability?: 'now' | 'deferred' }): Promise<void>;
  usage(key: string): Promise<Usage>;
  stat(key: string): Promise<SnapshotInfo>;
  list(): Promise<SnapshotInfo[]>;
  walk(fn: (info: SnapshotInfo) => void | Promise<void>): Promise<void>;
  /** DriverStatus for `docker info`. */
  status(): Promise<[string, string][]>;
  /** Removes what a crash left behind. */
  cleanup(): Promise<{ dirs: number; links: number }>;
  /** The directory holding the snapshot's files (the upper dir for an active one). */
  fsPath(key: string): Promise<string>;
  /** The snapshot's directory: `<root>/<id>` (holds fs/ and work/). */
  dirPath(key: string): Promise<string>;
}

export type SnapshotErrorCode = 'NOT_FOUND' | 'ALREADY_EXISTS' | 'FAILED_PRECONDITION' | 'INVALID_ARGUMENT';

export class SnapshotError extends Error {
  readonly code: SnapshotErrorCode;
  constructor(code: SnapshotErrorCode, message: string) {
    super(message);
    this.name = 'SnapshotError';
    this.code = code;
  }
}

export interface PrepareOptions {
  labels?: Record<string, string>;
  /**
   * 'deferred': the record is written at once and fsynced just after (util/atomic.ts), for a container's
   * own layer on the create path; a power loss in that moment loses only this snapshot. Default 'now'.
   */
  durability?: 'now' | 'deferred';
}

/** containerd's form of a snapshot's mounts. */
export function toMounts(m: OverlayMounts): Mount[] {
  if (m.rootfs) return [{ type: 'bind', source: m.rootfs, options: ['rbind', m.readonly ? 'ro' : 'rw'] }];
  const lower = m.lower.map((l) => `${m.cwd}/${l}`).join(':');
  if (!m.upper) return [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lower}`] }];
  const opts = [`upperdir=${m.upper}`, `workdir=${m.work}`];
  if (lower) opts.push(`lowerdir=${lower}`);
  return [{ type: 'overlay', source: 'overlay', options: opts }];
}
