// Typed access to the C++ addon (native/addon) and to berth-shim. The addon returns errors as values
// (see types.ts); these wrappers turn them into NativeCallError exceptions.
import { createRequire } from 'node:module';

import type { CopyNativeError, DiskUsage, TreeChanges, LayerNativeError, LinkStats, NativeAddon, NativeHandle, NativeResult, NetnsRoute, RootStat, RootStatFields, RouteInfo } from './types.js';

export type { CopyNativeError, DiskUsage, TreeChanges, LayerNativeError, RootStat, RootStatFields, LinkStats, NativeAddon, NativeError, NativeHandle, NativeResult, NetnsRoute, RouteInfo } from './types.js';
export {
  attachShim,
  encodeFrame,
  FrameDecoder,
  FRAME_CONTROL,
  FRAME_STDERR,
  FRAME_STDIN,
  FRAME_STDOUT,
  ShimAttachment,
} from './attach.js';
export type { AttachOptions, Frame } from './attach.js';

const require = createRequire(import.meta.url);
const addon = require('../../build/Release/berth_native.node') as NativeAddon;

/** mount(2) flags. */
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_NOATIME = 0x400;
export const MS_BIND = 0x1000;
export const MS_MOVE = 0x2000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;
/** umount2(2) flags. */
export const MNT_FORCE = 0x1;
export const MNT_DETACH = 0x2;
/** File type bits for mknod. */
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

export class NativeCallError extends Error {
  readonly errno: number;
  readonly call: string;

  constructor(call: string, errno: number, message: string) {
    super(`${call}: ${message}`);
    this.name = 'NativeCallError';
    this.call = call;
    this.errno = errno;
  }
}

function unwrap<T>(call: string, r: NativeResult<T>): T {
  if (r.ok) return r.value;
  throw new NativeCallError(call, r.error.errno, r.error.message);
}

/** flock(LOCK_EX|LOCK_NB) on path; returns the fd that holds the lock. */
export function lockFile(path: string): number {
  return unwrap('lockFile', addon.lockFile(path)).fd;
}

/** cgroup v2's devices allow list for the group at cgroupDir (see NativeAddon.attachDeviceFilter). */
export function attachDeviceFilter(cgroupDir: string, rules: number[]): number {
  return unwrap('attachDeviceFilter', addon.attachDeviceFilter(cgroupDir, rules)).instructions;
}

export function unlockFile(fd: number): void {
  unwrap('unlockFile', addon.unlockFile(fd));
}

export function mount(source: string, target: string, fstype: string, flags: number, data = ''): void {
  unwrap('mount', addon.mount(source, target, fstype, flags, data));
}

export interface OverlayMountOptions {
  /** Directory the lower paths are relative to. */
  cwd: string;
  lower: string[];
  upper?: string;
  work?: string;
  target: string;
  readonly?: boolean;
}

export function mountOverlay(opts: OverlayMountOptions): void {
  unwrap('mountOverlay', addon.mountOverlay(opts));
}

export function umount(target: string, flags = 0): void {
  unwrap('umount', addon.umount(target, flags));
}

export function mknod(path: string, mode: number, major: number, minor: number): void {
  unwrap('mknod', addon.mknod(path, mode, major, minor));
}

export function setxattr(path: string, name: string, value: Buffer): void {
  unwrap('setxattr', addon.setxattr(path, name, value));
}

/** The attribute's value, or null when it is absent. */
export function getxattr(path: string, name: string): Buffer | null {
  return unwrap('getxattr', addon.getxattr(path, name));
}

export function shimPath(): string {
  return addon.shimPath();
}

/** A failed container start as berth-shim reported it on its status pipe. */
export class ShimStartError extends Error {
  readonly errno: number;
  readonly stage: string;

  constructor(stage: string, errno: number, message: string) {
    super(`berth-shim failed at ${stage}: ${message}${errno ? ` (errno ${errno})` : ''}`);
    this.name = 'ShimStartError';
    this.stage = stage;
    this.errno = errno;
  }
}

/** A published port as the shim bound it (hostPort is the real one when 0 was asked for). */
export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  proto: 'tcp' | 'udp';
  connectIp: string;
}

export interface ShimStarted {
  shimPid: number;
  /** The container's init (run) or the exec'd process (exec), as seen from the host. */
  pid: number;
  /** Present when shim.json had `ports`. */
  ports?: PublishedPort[];
  /** With `waitForAttach`: set up, not yet exec'd; the first attach starts the process. */
  waitingForAttach?: boolean;
}

type ShimStatus =
  | ({ ok: true } & ShimStarted)
  | { ok: false; errno: number; stage: string; message: string };

/**
 * Starts `berth-shim run <configPath>` (docs/runtime.md, "Shim protocol") and resolves once the
 * container's process has exec'd (with `waitForAttach`: once it is ready and the attach socket
 * listens). The shim detaches: it outlives this process.
 */
export function spawnShim(configPath: string): Promise<ShimStarted> {
  return spawnShimMode('run', configPath);
}

/**
 * Starts `berth-shim exec <configPath>` (docs/runtime.md, "Exec mode"): a process inside a running
 * container. Resolves like spawnShim; `pid` is the exec'd process. A dead container rejects with
 * ShimStartError stage "exec", errno ESRCH.
 */
export function spawnExecShim(configPath: string): Promise<ShimStarted> {
  return spawnShimMode('exec', configPath);
}

async function spawnShimMode(mode: 'run' | 'exec', configPath: string): Promise<ShimStarted> {
  const r = await addon.spawnShim(shimPath(), [mode, configPath]);
  if (!r.ok) throw new ShimStartError('spawn', r.error.errno, r.error.message);
  const { status, stderr } = r.value;
  if (status === null) {
    throw new ShimStartError('status', 0, `berth-shim exited without a status line${stderr ? `: ${stderr.trim()}` : ''}`);
  }
  let parsed: ShimStatus;
  try {
    parsed = JSON.parse(status) as ShimStatus;
  } catch {
    throw new ShimStartError('status', 0, `unparseable status line: ${status}`);
  }
  if (!parsed.ok) throw new ShimStartError(parsed.stage, parsed.errno, parsed.message);
  const started: ShimStarted = { shimPid: parsed.shimPid, pid: parsed.pid };
  if (parsed.ports) started.ports = parsed.ports;
  if (parsed.waitingForAttach) started.waitingForAttach = true;
  return started;
}

/** Creates (idempotently) a bridge with cidrAddress ("10.88.0.1/24") on it, and sets it up. */
export function createBridge(name: string, cidrAddress: string): void {
  unwrap('createBridge', addon.createBridge(name, cidrAddress));
}

/** Creates a veth pair (both ends down); mtu 0 keeps the kernel default. */
export function createVethPair(hostName: string, peerName: string, mtu = 0): void {
  unwrap('createVethPair', addon.createVethPair(hostName, peerName, mtu));
}

export function attachToBridge(ifname: string, bridge: string): void {
  unwrap('attachToBridge', addon.attachToBridge(ifname, bridge));
}

export function setLinkUp(name: string): void {
  unwrap('setLinkUp', addon.setLinkUp(name));
}

/** Deletes a link; throws NativeCallError with errno ENODEV (19) when there is none. */
export function deleteLink(name: string): void {
  unwrap('deleteLink', addon.deleteLink(name));
}

/** Per-interface counters inside the net namespace of pid (lo included), keyed by interface name. */
export function linkStats(pid: number): Record<string, LinkStats> {
  return unwrap('linkStats', addon.linkStats(pid));
}

/** IPv4 routes of the host (all tables), to check that a subnet is free. */
export function listRoutes(): RouteInfo[] {
  return unwrap('listRoutes', addon.listRoutes());
}

/**
 * Moves the host link `peer` into the net namespace of `pid` and configures it there as `name`
 * (MAC, up, IPv4 `cidr`, `routes` on it; "" skips mac/cidr). No route is added unless listed.
 * Throws NativeCallError: ENOENT/ESRCH when the process is gone; on a later failure the link is deleted.
 */
export function configureLinkInNetns(pid: number, peer: string, name: string, mac: string, cidr: string, routes: NetnsRoute[] = []): void {
  unwrap('configureLinkInNetns', addon.configureLinkInNetns(pid, peer, name, mac, cidr, routes));
}

/** A layer tar call failed: `layerCode` is set for a refused entry (src/layers LayerErrorCode), else errno. */
export class LayerTarError extends NativeCallError {
  readonly layerCode: LayerNativeError['code'];
  readonly entry: string | undefined;
  /** The addon's message alone, without the call name. */
  readonly detail: string;

  constructor(call: string, e: LayerNativeError) {
    super(call, e.errno, e.message);
    this.name = 'LayerTarError';
    this.layerCode = e.code;
    this.entry = e.entry;
    this.detail = e.message;
  }
}

function unwrapLayer<T>(call: string, r: NativeResult<T, LayerNativeError>): T {
  if (r.ok) return r.value;
  throw new LayerTarError(call, r.error);
}

/**
 * Extracts an uncompressed layer tar into destDir, safely (see native/addon/layer_apply.h): feed it the
 * tar in order with write(), then finish(). One call at a time; close() in every case.
 */
export class NativeLayerApplier {
  private handle: NativeHandle | null;

  /** plain: a complete tree (btrfs/vfs), where whiteouts delete instead of becoming overlay's. */
  constructor(destDir: string, opts: { sameOwner: boolean; entryNames?: boolean; plain?: boolean }) {
    this.handle = unwrap('layerApplierOpen', addon.layerApplierOpen(destDir, { sameOwner: opts.sameOwner, entryNames: opts.entryNames ?? false, plain: opts.plain ?? false }));
  }

  /** Applies the next chunks; resolves with the names of the entries begun (when entryNames was set). */
  async write(chunks: Buffer[]): Promise<string[]> {
    return unwrapLayer('applyLayer', await addon.layerApplierWrite(this.live(), chunks)).entries;
  }

  /** The tar ended: checks it was complete, sets directory mtimes; the extracted tree's usage. */
  async finish(): Promise<DiskUsage> {
    return unwrapLayer('applyLayer', await addon.layerApplierFinish(this.live()));
  }

  close(): void {
    if (this.handle) addon.layerApplierClose(this.handle);
    this.handle = null;
  }

  private live(): NativeHandle {
    if (!this.handle) throw new Error('NativeLayerApplier is closed');
    return this.handle;
  }
}

/** Walks a directory into tar bytes (byte order of names, overlay whiteouts as .wh. entries, xattrs, hardlinks). */
export class NativeLayerDiffer {
  private handle: NativeHandle | null;

  constructor(dir: string) {
    this.handle = unwrapLayer('diffDirectory', addon.layerDifferOpen(dir));
  }

  /** Fills buf; bytes 0 = end of the tar. `skipped` lists [path, reason] of entries left out (fifos, sockets, devices). */
  async read(buf: Buffer): Promise<{ bytes: number; skipped: Array<[string, string]> }> {
    if (!this.handle) throw new Error('NativeLayerDiffer is closed');
    return unwrapLayer('diffDirectory', await addon.layerDifferRead(this.handle, buf));
  }

  close(): void {
    if (this.handle) addon.layerDifferClose(this.handle);
    this.handle = null;
  }
}

/** Docker's DiffSize of a tree (non-directory bytes, each inode once) and its inode count, off the main thread. */
export async function diskUsage(dir: string): Promise<DiskUsage> {
  return unwrapLayer('diskUsage', await addon.diskUsage(dir));
}

// ─────────────── inside a container's root (native/addon/in_root.cc) ───────────────

/** A docker cp failure of the addon: `code` says which (NOT_FOUND, NOT_DIR, OVERWRITE, UNSAFE_ENTRY…). */
export class CopyError extends NativeCallError {
  readonly code: CopyNativeError['code'];
  readonly entry: string | undefined;
  readonly detail: string;

  constructor(call: string, e: CopyNativeError) {
    super(call, e.errno, e.message);
    this.name = 'CopyError';
    this.code = e.code;
    this.entry = e.entry;
    this.detail = e.message;
  }
}

function unwrapCopy<T>(call: string, r: NativeResult<T, CopyNativeError>): T {
  if (r.ok) return r.value;
  throw new CopyError(call, r.error);
}

/** lstat (followLast: stat) of `path` inside `root`, resolved there whatever the container does. */
export function rootStat(root: string, path: string, followLast: boolean): RootStat {
  return unwrap('rootStat', addon.rootStat(root, path, followLast));
}

/** Entries of directory `path` below `root` with their lstat; no symlink is followed on the way. */
export function rootReaddir(root: string, path: string): Array<RootStatFields & { name: string; opaque: boolean }> {
  return unwrap('rootReaddir', addon.rootReaddir(root, path));
}

/** Extracts the spooled tar under `dest` inside `root` (checked whole first); the resolved destination. */
export async function containerPut(
  root: string,
  dest: string,
  spool: string,
  /** fsuid/fsgid: write as a user namespace's mapped root (its rootfs is idmapped; native/addon/thread_ids.h). */
  opts: { noOverwriteDirNonDir?: boolean; fsuid?: number; fsgid?: number } = {},
): Promise<string> {
  const ids = opts.fsuid !== undefined && opts.fsgid !== undefined ? { fsuid: opts.fsuid, fsgid: opts.fsgid } : {};
  return unwrapCopy('containerPut', await addon.containerPut(root, dest, spool, { noOverwriteDirNonDir: opts.noOverwriteDirNonDir ?? false, ...ids })).inner;
}

/** docker cp's tar of `path` inside `root`, entries named under `name`. Same reading API as NativeLayerDiffer. */
export class NativeContainerTar {
  private handle: NativeHandle | null;

  constructor(root: string, path: string, opts: { followLast: boolean; name: string; skipDevs?: number[] }) {
    this.handle = unwrapCopy('containerTar', addon.containerTarOpen(root, path, { followLast: opts.followLast, name: opts.name, skipDevs: opts.skipDevs ?? [] }));
  }

  async read(buf: Buffer): Promise<number> {
    if (!this.handle) throw new Error('NativeContainerTar is closed');
    return unwrapLayer('containerTar', await addon.layerDifferRead(this.handle, buf)).bytes;
  }

  close(): void {
    if (this.handle) addon.layerDifferClose(this.handle);
    this.handle = null;
  }
}

/** rm -rf without ever following a symlink, even one swapped in meanwhile (volumes, container trees). */
export async function removeTree(path: string): Promise<void> {
  unwrapLayer('removeTree', await addon.removeTree(path));
}

/** btrfs subvolumes by ioctl, no CLI fork and no transaction wait (native/addon/btrfs.cc). */
export const btrfs = {
  async createSubvolume(path: string): Promise<void> {
    unwrap('btrfsSubvolCreate', await addon.btrfsSubvolCreate(path));
  },
  async snapshot(src: string, dst: string, opts: { readonly?: boolean } = {}): Promise<void> {
    unwrap('btrfsSnapshot', await addon.btrfsSnapshot(src, dst, opts.readonly ?? false));
  },
  async setReadonly(path: string, readonly: boolean): Promise<void> {
    unwrap('btrfsSetReadonly', await addon.btrfsSetReadonly(path, readonly));
  },
  async deleteSubvolume(path: string): Promise<void> {
    unwrap('btrfsSubvolDelete', await addon.btrfsSubvolDelete(path));
  },
  isSubvolume(path: string): boolean {
    return unwrap('btrfsIsSubvolume', addon.btrfsIsSubvolume(path));
  },
};

/**
 * The changes of tree `newDir` over the merged view of `oldDirs` (top-most first; with `exact`, oldDirs[0]
 * is the btrfs subvolume newDir was snapshotted from), as snapshots/changes.ts defines them. `upper`: also
 * build them as an overlay upper dir there (made here); `prune`: turn that private copy of newDir into one.
 */
export async function treeChanges(newDir: string, oldDirs: string[], opts: { exact: boolean; upper?: string; prune?: string }): Promise<TreeChanges> {
  return unwrap('treeChanges', await addon.treeChanges(newDir, oldDirs, opts));
}
