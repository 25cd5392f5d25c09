// Filesystems for the storage drivers' tests: each in a file of its own, loop-mounted (btrfs-progs,
// xfsprogs and e2fsprogs make them), unmounted and deleted after the test.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MNT_DETACH, mount, mountOverlay, MS_BIND, umount } from '../src/native/index.js';
import { toMounts, type DriverName, type Snapshotter } from '../src/snapshots/index.js';

export type FsKind = 'btrfs' | 'xfs' | 'ext4';

const MKFS: Record<FsKind, string[]> = {
  btrfs: ['mkfs.btrfs', '-q'],
  xfs: ['mkfs.xfs', '-q'],
  ext4: ['mkfs.ext4', '-q', '-F'],
};

/** Why a filesystem cannot be made here, or null. */
export function fsUnavailable(kind: FsKind): string | null {
  if (process.getuid?.() !== 0) return 'needs root (loop mounts)';
  const tool = MKFS[kind][0]!;
  const found = ['/usr/sbin', '/sbin', '/usr/bin'].some((d) => fs.existsSync(path.join(d, tool)));
  return found ? null : `${tool} is not installed (scripts/ensure-deb.mjs btrfs-progs xfsprogs)`;
}

/** The drivers that work on each filesystem (overlay's upper works on all three). */
export const DRIVERS_ON: Record<FsKind, DriverName[]> = { btrfs: ['btrfs', 'overlay', 'vfs'], xfs: ['overlay', 'vfs'], ext4: ['overlay', 'vfs'] };

export function makeLoopFs(t: { after: (fn: () => void) => void }, kind: FsKind, sizeMb = 400, mountOpts = ''): string {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `berth-${kind}-`));
  const img = path.join(base, 'fs.img');
  const dir = path.join(base, 'mnt');
  fs.mkdirSync(dir);
  fs.writeFileSync(img, '');
  fs.truncateSync(img, sizeMb * 1024 * 1024);
  execFileSync(MKFS[kind][0]!, [...MKFS[kind].slice(1), img], { stdio: 'pipe' });
  execFileSync('mount', ['-o', mountOpts ? `loop,${mountOpts}` : 'loop', img, dir], { stdio: 'pipe' });
  t.after(() => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    } catch {
      /* already gone */
    }
    fs.rmSync(base, { recursive: true, force: true });
  });
  return dir;
}

/** Mounts the snapshot's mounts (toMounts: bind or overlay) for the duration of fn. */
export async function withMounted<T>(snaps: Snapshotter, key: string, fn: (dir: string) => Promise<T> | T): Promise<T> {
  const m = await snaps.mounts(key);
  const target = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-mnt-'));
  const [mnt] = toMounts(m);
  if (mnt!.type === 'bind') mount(mnt!.source, target, '', MS_BIND);
  // overlay wants two lowers without an upper: one read-only layer is its own tree.
  else if (!m.upper && m.lower.length === 1) mount(path.resolve(m.cwd, m.lower[0]!), target, '', MS_BIND);
  else mountOverlay({ cwd: m.cwd, lower: m.lower, ...(m.upper ? { upper: m.upper, work: m.work! } : {}), target, readonly: !m.upper });
  try {
    return await fn(target);
  } finally {
    umount(target, MNT_DETACH);
    fs.rmdirSync(target);
  }
}
