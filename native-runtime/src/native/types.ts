// The contract between the C++ addon (native/addon) and the TypeScript library.
// Every call returns an error as a value, as crun does; the TS wrapper turns it into an exception.

export interface NativeError {
  errno: number;
  message: string;
}

export type NativeResult<T> = { ok: true; value: T } | { ok: false; error: NativeError };

export interface NativeAddon {
  /** flock(LOCK_EX|LOCK_NB) on path (created 0600). On success the fd stays open until unlock(fd). */
  lockFile(path: string): NativeResult<{ fd: number }>;
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
}
