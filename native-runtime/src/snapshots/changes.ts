// What a btrfs or vfs snapshot changed over its parent, by comparing the two trees, as moby's
// archive.ChangesDirs does (containerd's fs.Changes is the same idea):
// - an entry only in the new tree is added (and everything below it);
// - one only in the old tree is deleted (a deleted directory is one change, not one per child);
// - one in both is modified when mode, owner, rdev, size (not for directories) or mtime differ;
// - a directory holding changes is itself modified (moby: so its permissions travel with the layer).
// `exact` (btrfs): a snapshot keeps inode numbers and ctimes, and only the kernel sets ctime, so a file
// with the same inode and ctime as in its parent is unchanged and any other is changed; nothing that
// restores an mtime can hide a change. Directories are judged by the plain rule (their ctime moves with
// every entry added or removed, and their entries are compared one by one anyway).
// Both trees are read through the addon inside their own root, no symlink followed (in_root.cc): the
// new tree may belong to a running container.
import path from 'node:path';
import { rootReaddir, rootStat, type RootStatFields } from '../native/index.js';
import type { Usage } from './types.js';

export const KIND_MODIFIED = 0;
export const KIND_ADDED = 1;
export const KIND_DELETED = 2;

export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const isDir = (st: RootStatFields): boolean => (st.mode & S_IFMT) === S_IFDIR;

interface Old {
  st: RootStatFields;
  /** Index of the old tree it came from. */
  from: number;
}

function readdir(root: string, rel: string): Map<string, RootStatFields> {
  const out = new Map<string, RootStatFields>();
  try {
    for (const e of rootReaddir(root, rel)) out.set(e.name, e);
  } catch (err) {
    const errno = (err as { errno?: number }).errno;
    if (errno !== 2 && errno !== 20) throw err; // ENOENT, ENOTDIR: not there (in this tree)
  }
  return out;
}

/** The old view of a directory: the first tree that has each name wins (oldDirs top-most first). */
function oldChildren(oldDirs: readonly string[], rel: string): Map<string, Old> {
  const out = new Map<string, Old>();
  oldDirs.forEach((d, from) => {
    for (const [name, st] of readdir(d, rel)) if (!out.has(name)) out.set(name, { st, from });
  });
  return out;
}

function different(o: Old, n: RootStatFields, exactFrom: number | undefined): boolean {
  const a = o.st;
  if (a.mode !== n.mode || a.uid !== n.uid || a.gid !== n.gid || a.rdev !== n.rdev) return true;
  if (!isDir(n) && a.size !== n.size) return true;
  // Directories to the millisecond, as the overlay diff (container-fs/changes.ts) compares them.
  if (isDir(n)) return Math.floor(a.mtimeMs) !== Math.floor(n.mtimeMs);
  if (a.mtimeSec !== n.mtimeSec || a.mtimeNsec !== n.mtimeNsec) return true;
  if (exactFrom === o.from) return a.ino !== n.ino || a.ctimeSec !== n.ctimeSec || a.ctimeNsec !== n.ctimeNsec;
  return false;
}

/**
 * Changes of `newDir` over the merged view of `oldDirs` (top-most first). With `exact`, oldDirs[0] is
 * the tree newDir was snapshotted from (see above).
 */
export function changesDirs(newDir: string, oldDirs: readonly string[], opts: { exact?: boolean } = {}): Change[] {
  const exactFrom = opts.exact ? 0 : undefined;
  const changes: Change[] = [];
  const addAll = (rel: string): void => {
    for (const [name, st] of [...readdir(newDir, rel)].sort(byName)) {
      const r = path.posix.join(rel, name);
      changes.push({ Path: r, Kind: KIND_ADDED });
      if (isDir(st)) addAll(r);
    }
  };
  // Returns after pushing this directory's changes; inserts the directory itself when it holds any.
  const walk = (rel: string, selfRecorded: boolean): void => {
    const at = changes.length;
    const olds = oldChildren(oldDirs, rel);
    for (const [name, st] of [...readdir(newDir, rel)].sort(byName)) {
      const r = path.posix.join(rel, name);
      const o = olds.get(name);
      olds.delete(name);
      if (!o) {
        changes.push({ Path: r, Kind: KIND_ADDED });
        if (isDir(st)) addAll(r);
        continue;
      }
      const changed = different(o, st, exactFrom);
      if (changed) changes.push({ Path: r, Kind: KIND_MODIFIED });
      if (isDir(st)) {
        if (isDir(o.st)) walk(r, changed);
        else addAll(r);
      }
    }
    for (const name of [...olds.keys()].sort()) changes.push({ Path: path.posix.join(rel, name), Kind: KIND_DELETED });
    if (changes.length > at && !selfRecorded && rel !== '/') changes.splice(at, 0, { Path: rel, Kind: KIND_MODIFIED });
  };
  walk('/', true);
  return changes;
}

const byName = (a: [string, unknown], b: [string, unknown]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** moby's ChangesSize: bytes of added and modified non-directories, each inode once. */
export function changesSize(newDir: string, changes: readonly Change[]): Usage {
  const seen = new Set<number>();
  let size = 0;
  let inodes = 0;
  for (const c of changes) {
    if (c.Kind === KIND_DELETED) continue;
    let st: RootStatFields | null;
    try {
      st = rootStat(newDir, c.Path, false).stat;
    } catch {
      continue;
    }
    if (!st) continue;
    inodes++;
    if (isDir(st) || seen.has(st.ino)) continue;
    seen.add(st.ino);
    size += st.size;
  }
  return { size, inodes };
}
