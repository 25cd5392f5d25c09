// The init layer, as dockerd makes it (daemon/initlayer): a read-only layer between the image and the
// container's own layer, holding /.dockerenv (tools look for it to know they run in a container) and the
// mount points the runtime fills (/etc/hosts, /proc, /dev/pts, ...), so they exist, as empty entries, in
// every container and in `docker export`. It is not part of the container's changes (diff, commit, SizeRw).
import fs from 'node:fs';
import path from 'node:path';
import type { OverlayMounts } from '../snapshots/types.js';

/** Kept beside the snapshot's fs/ and work/, so it goes when the snapshot goes. */
export const INIT_LAYER_DIR = 'init';

// moby initlayer.Setup: path -> dir, empty file (mode 0755 there too) or symlink target.
const ENTRIES: [string, 'dir' | 'file' | { link: string }][] = [
  ['dev/pts', 'dir'],
  ['dev/shm', 'dir'],
  ['proc', 'dir'],
  ['sys', 'dir'],
  ['.dockerenv', 'file'],
  ['etc/resolv.conf', 'file'],
  ['etc/hosts', 'file'],
  ['etc/hostname', 'file'],
  ['dev/console', 'file'],
  ['etc/mtab', { link: '/proc/mounts' }],
];

/** Writes the init layer into `dir` (synchronous: a dozen metadata calls on the create path). */
export function writeInitLayer(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const [rel, kind] of ENTRIES) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true, mode: 0o755 });
    if (kind === 'dir') fs.mkdirSync(p, { recursive: true, mode: 0o755 });
    else if (kind === 'file') fs.writeFileSync(p, '', { mode: 0o755 });
    else fs.symlinkSync(kind.link, p);
  }
}

/**
 * The container's overlay with its init layer as the top-most lower (below the container's own layer).
 * Containers created before init layers existed have none and are returned unchanged.
 */
export function withInitLayer(o: OverlayMounts, snapshotDir: string): OverlayMounts {
  const init = path.join(snapshotDir, INIT_LAYER_DIR);
  if (o.rootfs || !fs.existsSync(init)) return o; // btrfs/vfs: copied into the tree (copyInitLayer)
  return { ...o, lower: [path.relative(o.cwd, init), ...o.lower] };
}

/**
 * btrfs/vfs have no layer to stack: the init entries the image lacks are made in the container's tree,
 * and they and their init-layer twins get the same whole-second times, so comparing the tree with
 * [image, init layer] finds no change in them (snapshots/changes.ts); as in moby, an entry the image
 * has is left as it is. Directories whose entries this adds get their times back (directories are
 * compared to the millisecond, as the overlay diff does).
 */
export function copyInitLayer(initDir: string, tree: string): void {
  const restore: [string, number][] = [];
  const keepTimes = (dir: string): void => {
    if (!restore.some(([d]) => d === dir)) restore.push([dir, fs.lstatSync(dir).mtimeMs / 1000]);
  };
  const same = (src: string, dst: string, link: boolean): void => {
    const t = Math.floor(fs.lstatSync(src).mtimeMs / 1000);
    if (link) {
      fs.lutimesSync(src, t, t);
      fs.lutimesSync(dst, t, t);
    } else {
      fs.utimesSync(src, t, t);
      fs.utimesSync(dst, t, t);
    }
  };
  const made: [string, string][] = [];
  for (const [rel] of ENTRIES) {
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const sub = parts.slice(0, i).join('/');
      const src = path.join(initDir, sub);
      const dst = path.join(tree, sub);
      if (exists(dst)) continue;
      keepTimes(path.dirname(dst));
      const st = fs.lstatSync(src);
      if (st.isDirectory()) {
        fs.mkdirSync(dst, { mode: 0o755 });
        fs.chmodSync(dst, st.mode & 0o7777);
        made.push([src, dst]);
      } else if (st.isSymbolicLink()) {
        fs.symlinkSync(fs.readlinkSync(src), dst);
        same(src, dst, true);
      } else {
        fs.writeFileSync(dst, '', { mode: st.mode & 0o7777 });
        fs.chmodSync(dst, st.mode & 0o7777);
        same(src, dst, false);
      }
    }
  }
  // Deepest first: a parent's times are set after its children were made.
  for (const [src, dst] of made.reverse()) same(src, dst, false);
  for (const [dir, t] of restore.filter(([d]) => !made.some(([, m]) => m === d)).reverse()) fs.utimesSync(dir, t, t);
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
