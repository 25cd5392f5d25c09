// The contract between the C++ addon (native/addon) and the TypeScript library.
// Every call returns an error as a value, as crun does; the TS wrapper turns it into an exception.

export interface NativeError {
  errno: number;
  message: string;
}

export type NativeResult<T, E extends NativeError = NativeError> = { ok: true; value: T } | { ok: false; error: E };

export interface NativeAddon {
  /** flock(LOCK_EX|LOCK_NB) on path (created 0600). On success the fd stays open until unlock(fd). */
  lockFile(path: string): NativeResult<{ fd: number }>;
  /**
   * cgroup v2: attaches a BPF_PROG_TYPE_CGROUP_DEVICE allow list to a group (native/addon/device_filter.cc).
   * rules: flat [type (0 any, 1 block, 2 char), major (-1 any), minor (-1 any), access (1 mknod | 2 read | 4 write)].
   */
  attachDeviceFilter(cgroupDir: string, rules: number[]): NativeResult<{ instructions: number }>;
  unlockFile(fd: number): NativeResult<null>;
  /** mount(2). flags is a numeric MS_* mask. */
  mount(source: string, target: string, fstype: string, flags: number, data: string): NativeResult<null>;
  /** Mount overlay with lowerdirs given relative to cwd. chdir is process-wide and Node is multi-threaded,
   *  so the implementation must not chdir the server; it may use absolute lowers when the option fits
   *  in a page, and otherwise another safe mechanism (the new mount API, or spawning berth-shim in a
   *  mount mode that chdirs in its own process). */
  mountOverlay(opts: { cwd: string; lower: string[]; upper?: string; work?: string; target: string; readonly?: boolean }): NativeResult<null>;
  umount(target: string, flags: number): NativeResult<null>;
  mknod(path: string, mode: number, major: number, minor: number): NativeResult<null>;
  /** lsetxattr / lgetxattr (value as Buffer; null when the attribute is absent). */
  setxattr(path: string, name: string, value: Buffer): NativeResult<null>;
  getxattr(path: string, name: string): NativeResult<Buffer | null>;
  /** Absolute path of the berth-shim executable that was built next to the addon. */
  shimPath(): string;
  /**
   * posix_spawn(path, args) in a new session with /dev/null on 0 and 1, stderr on 2 and a status pipe on
   * 3; resolves with the first line of the status pipe (null at EOF without one) and what stderr said.
   */
  spawnShim(path: string, args: string[]): Promise<NativeResult<{ pid: number; status: string | null; stderr: string }>>;
  /** Creates (idempotently) a bridge, adds cidrAddress ("10.88.0.1/24") to it and sets it up. */
  createBridge(name: string, cidrAddress: string): NativeResult<null>;
  /** Creates a veth pair; mtu 0/undefined keeps the kernel default. Both ends start down. */
  createVethPair(hostName: string, peerName: string, mtu?: number): NativeResult<null>;
  attachToBridge(ifname: string, bridge: string): NativeResult<null>;
  setLinkUp(name: string): NativeResult<null>;
  /** Deletes a link (deleting one end of a veth pair deletes both). ENODEV when it does not exist. */
  deleteLink(name: string): NativeResult<null>;
  /** Interface counters from /proc/<pid>/net/dev, i.e. as seen inside pid's net namespace. */
  linkStats(pid: number): NativeResult<Record<string, LinkStats>>;
  /** The IPv4 routes of every table of the caller's (host) net namespace. */
  listRoutes(): NativeResult<RouteInfo[]>;
  /** Moves the host's link `peer` into the net namespace of pid; there (on a short-lived thread that
   *  setns()es, never Node's own) renames it to `name`, sets `mac` (unless ""), sets it up, adds `cidr`
   *  (unless "") and each route on it. A failure after the move deletes the link (and so the pair). */
  configureLinkInNetns(pid: number, peer: string, name: string, mac: string, cidr: string, routes?: NetnsRoute[]): NativeResult<null>;

  // Layer tars (native/addon/layer_workers.cc and the files it names). File work runs on the libuv pool; the promises always
  // resolve (errors are values). One call at a time per handle: a second one gets EBUSY.
  /** Opens destDir (O_PATH) for a layer to be extracted into it. */
  layerApplierOpen(destDir: string, opts: { sameOwner: boolean; entryNames: boolean; plain: boolean }): NativeResult<NativeHandle>;
  /** Feeds the next bytes of the uncompressed tar; `entries` lists the entries begun (with entryNames). */
  layerApplierWrite(handle: NativeHandle, chunks: Buffer[]): Promise<NativeResult<{ entries: string[] }, LayerNativeError>>;
  /** End of the tar: checks it was complete, sets directory mtimes, measures the result (as diskUsage). */
  layerApplierFinish(handle: NativeHandle): Promise<NativeResult<DiskUsage, LayerNativeError>>;
  /** Releases the fds now rather than at garbage collection. */
  layerApplierClose(handle: NativeHandle): NativeResult<null>;
  /** Opens dir for walking into a layer tar. */
  layerDifferOpen(dir: string): NativeResult<NativeHandle, LayerNativeError>;
  /** Fills buffer with the next tar bytes; bytes 0 means the end. `skipped`: [path, reason] left out. */
  layerDifferRead(handle: NativeHandle, buffer: Buffer): Promise<NativeResult<{ bytes: number; skipped: Array<[string, string]> }, LayerNativeError>>;
  layerDifferClose(handle: NativeHandle): NativeResult<null>;
  /** Bytes of non-directories, each inode once (Docker's DiffSize), and the number of inodes, below dir. */
  diskUsage(dir: string): Promise<NativeResult<DiskUsage, LayerNativeError>>;

  // Inside a container's root (native/addon/in_root.cc): every lookup is openat2 RESOLVE_IN_ROOT, so
  // nothing a container does meanwhile (CVE-2018-15664) sends a walk to the host. `root` is a host path
  // the server owns (/proc/<pid>/root, a temporary overlay mount, an upper dir).
  /** lstat (followLast: stat) of a container path; stat null when it does not exist. */
  rootStat(root: string, path: string, followLast: boolean): NativeResult<RootStat>;
  /** A directory's entries with their lstat, sorted by name; no symlink followed on the way. */
  rootReaddir(root: string, path: string): NativeResult<Array<RootStatFields & { name: string; opaque: boolean }>>;
  /** docker cp's GET archive: read with layerDifferRead/Close. NOT_FOUND code when path is missing. */
  containerTarOpen(root: string, path: string, opts: { followLast: boolean; name: string; skipDevs: number[] }): NativeResult<NativeHandle, CopyNativeError>;
  /** docker cp's PUT archive of a spooled tar: checked whole, then extracted under dest. Codes NOT_FOUND, NOT_DIR, OVERWRITE, UNSAFE_ENTRY… */
  containerPut(root: string, dest: string, spool: string, opts: { noOverwriteDirNonDir: boolean; fsuid?: number; fsgid?: number }): Promise<NativeResult<{ inner: string }, CopyNativeError>>;
  /** rm -rf that never follows a symlink, even one swapped in while it runs. */
  removeTree(path: string): Promise<NativeResult<null, LayerNativeError>>;
  /** btrfs subvolumes by ioctl (native/addon/btrfs.cc); each resolves, never rejects. */
  btrfsSubvolCreate(path: string): Promise<NativeResult<boolean>>;
  btrfsSnapshot(src: string, dst: string, readonly: boolean): Promise<NativeResult<boolean>>;
  btrfsSetReadonly(path: string, readonly: boolean): Promise<NativeResult<boolean>>;
  btrfsSubvolDelete(path: string): Promise<NativeResult<boolean>>;
  btrfsIsSubvolume(path: string): NativeResult<boolean>;
  /** A tree's changes over its parent's, optionally built into an upper dir (native/addon/tree_diff.cc). */
  treeChanges(newDir: string, oldDirs: string[], opts: { exact: boolean; upper?: string; prune?: string }): Promise<NativeResult<TreeChanges>>;
}

/** treeChanges' answer: moby's Change list (Kind 0 modified, 1 added, 2 deleted) and ChangesSize. */
export interface TreeChanges {
  changes: Array<{ Path: string; Kind: 0 | 1 | 2 }>;
  size: number;
  inodes: number;
}

/** docker cp's errors: a layer's codes, plus a missing path, a destination that is no directory, and noOverwriteDirNonDir. */
export interface CopyNativeError extends NativeError {
  code?: NonNullable<LayerNativeError['code']> | 'NOT_FOUND' | 'NOT_DIR' | 'OVERWRITE';
  entry?: string;
}

export interface RootStatFields {
  mode: number;
  size: number;
  uid: number;
  gid: number;
  ino: number;
  dev: number;
  rdev: number;
  nlink: number;
  mtimeSec: number;
  mtimeNsec: number;
  mtimeMs: number;
  ctimeSec: number;
  ctimeNsec: number;
}

export interface RootStat {
  /** The container path, symlinks resolved (but a final one when followLast is false). */
  inner: string;
  stat: RootStatFields | null;
  /** Where a final symlink leads inside the root; "" otherwise. */
  linkTarget: string;
}

/** An opaque addon object (a napi External). */
export type NativeHandle = { readonly __brand: 'NativeHandle' };

export interface DiskUsage {
  size: number;
  inodes: number;
}

/** A layer tar error: a refused entry has a src/layers LayerErrorCode and errno 0; a failed syscall its errno. */
export interface LayerNativeError extends NativeError {
  code?: 'UNSAFE_ENTRY' | 'UNSUPPORTED_ENTRY' | 'INVALID_TAR';
  /** The tar entry (apply) or path (diff) at fault. */
  entry?: string;
}

export interface LinkStats {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/** A route to add inside a container: `destination` "a.b.c.d/n" or "default", on the configured link. */
export interface NetnsRoute {
  destination: string;
  gateway?: string;
}

export interface RouteInfo {
  /** "a.b.c.d/n"; "0.0.0.0/0" for a default route. */
  destination: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
  /** 254 = main, 255 = local. */
  table: number;
  protocol: number;
  scope: number;
  /** rtm_type: 1 unicast, 2 local, 3 broadcast, ... */
  type: number;
  metric: number;
}
