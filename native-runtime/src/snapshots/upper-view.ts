// A snapshot's own changes as an overlay-style upper dir, so every reader written for overlay (the
// layer writer, docker diff, commit, the builder) serves btrfs and vfs too. For overlay it is the upper
// dir itself. For btrfs/vfs a scratch dir beside the snapshot is built from changesDirs(): hard links to
// the added and modified files (same inode: content, owner, mode and xattrs come along, and no byte is
// copied), their directories, and a 0:0 character device (overlay's whiteout) per deleted path.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { mknod, rootStat } from '../native/index.js';
import { randomHex } from '../util/ids.js';
import { BtrfsSnapshotter } from './btrfs.js';
import { changesDirs, KIND_ADDED, KIND_DELETED, type Change } from './changes.js';
import { DirSnapshotter } from './dir-driver.js';
import type { Snapshotter } from './types.js';

export interface UpperView {
  upper: string;
  /** The layers under it, top-most first. */
  lowers: string[];
  release(): Promise<void>;
}

const S_IFCHR = 0o020000;

export async function upperView(snaps: Snapshotter, key: string, opts: { extraLowers?: string[] } = {}): Promise<UpperView> {
  const m = await snaps.mounts(key);
  if (!(snaps instanceof DirSnapshotter) || !m.rootfs) {
    const lowers = m.lower.map((l) => path.resolve(m.cwd, l));
    return { upper: await snaps.fsPath(key), lowers, release: async () => {} };
  }
  const info = await snaps.stat(key);
  const parent = info.parent === undefined ? [] : [await snaps.fsPath(info.parent)];
  const oldDirs = [...parent, ...(opts.extraLowers ?? [])];
  const changes = changesDirs(m.rootfs, oldDirs, { exact: snaps.exact });
  const scratch = path.join(await snaps.dirPath(key), `changes-${randomHex(6)}`);
  const release = (): Promise<void> => (snaps instanceof BtrfsSnapshotter ? snaps.removeSubvolume(scratch) : fsp.rm(scratch, { recursive: true, force: true }));
  try {
    if (snaps instanceof BtrfsSnapshotter) {
      // A hard link never crosses subvolumes: a snapshot of the tree (constant time, a frozen copy
      // nothing else writes to), pruned to the changes, does the same job.
      await snaps.snapshotSubvolume(m.rootfs, scratch);
      pruneToChanges(scratch, changes);
    } else {
      buildUpper(m.rootfs, changes, scratch);
    }
  } catch (err) {
    await release().catch(() => {});
    throw err;
  }
  return { upper: scratch, lowers: oldDirs, release };
}

/**
 * Turns a copy of the tree into an upper dir: what did not change goes, a deleted path becomes a 0:0
 * character device. Directories holding changes stay (with their own metadata).
 */
export function pruneToChanges(copy: string, changes: readonly Change[]): void {
  const changed = new Map(changes.map((c) => [c.Path, c.Kind]));
  const holders = new Set<string>(['/']);
  for (const c of changes) for (let p = path.posix.dirname(c.Path); !holders.has(p); p = path.posix.dirname(p)) holders.add(p);
  const prune = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(copy, rel))) {
      const r = path.posix.join(rel, name);
      const kind = changed.get(r);
      if (kind === KIND_ADDED) continue; // with everything below it
      if (kind === undefined && !holders.has(r)) {
        fs.rmSync(path.join(copy, r), { recursive: true, force: true });
        continue;
      }
      if (fs.lstatSync(path.join(copy, r)).isDirectory()) prune(r);
    }
  };
  prune('/');
  const times = new Map<string, fs.Stats>();
  for (const c of changes) {
    if (c.Kind !== KIND_DELETED) continue;
    const dir = path.join(copy, path.posix.dirname(c.Path));
    if (!times.has(dir)) times.set(dir, fs.lstatSync(dir));
    mknod(path.join(copy, c.Path), S_IFCHR, 0, 0);
  }
  for (const [dir, st] of times) fs.utimesSync(dir, st.atime, st.mtime);
}

/** Materialises `changes` of `tree` as an overlay upper dir at `scratch` (same filesystem as tree). */
export function buildUpper(tree: string, changes: readonly Change[], scratch: string): void {
  fs.mkdirSync(scratch, { mode: 0o755 });
  const dirs: [string, fs.Stats][] = [];
  const ensureDir = (rel: string): void => {
    const dst = path.join(scratch, rel);
    if (fs.existsSync(dst)) return;
    ensureDir(path.posix.dirname(rel));
    const st = rootStat(tree, rel, false).stat;
    if (!st || (st.mode & 0o170000) !== 0o040000) throw new Error(`${rel} changed while its changes were read`);
    fs.mkdirSync(dst);
    fs.chmodSync(dst, st.mode & 0o7777);
    fs.lchownSync(dst, st.uid, st.gid);
    dirs.push([dst, { atime: new Date(st.mtimeMs), mtime: new Date(st.mtimeMs) } as fs.Stats]);
  };
  for (const c of changes) {
    const rel = c.Path;
    const dst = path.join(scratch, rel);
    ensureDir(path.posix.dirname(rel));
    if (c.Kind === KIND_DELETED) {
      mknod(dst, S_IFCHR | 0o000, 0, 0);
      continue;
    }
    const st = rootStat(tree, rel, false).stat;
    if (!st) continue; // removed meanwhile (a running container)
    if ((st.mode & 0o170000) === 0o040000) {
      ensureDir(rel);
      continue;
    }
    // link() resolves the parent path on the host: the inode check below refuses anything a running
    // container swapped in meanwhile (and a hard link never crosses into another filesystem).
    fs.linkSync(path.join(tree, rel), dst);
    const got = fs.lstatSync(dst);
    if (got.ino !== st.ino || got.dev !== st.dev) {
      fs.rmSync(dst, { force: true });
      throw new Error(`${rel} changed while its changes were read`);
    }
  }
  // Directory times last: creating their entries moved them.
  for (const [dst, t] of dirs.reverse()) fs.utimesSync(dst, t.atime, t.mtime);
}

/** btrfs/vfs: the changes of an active snapshot over its parent (and `extraLowers`), moby's ChangesDirs. */
export async function dirSnapshotChanges(snaps: Snapshotter, key: string, extraLowers: string[] = []): Promise<Change[]> {
  const m = await snaps.mounts(key);
  if (!(snaps instanceof DirSnapshotter) || !m.rootfs) throw new Error(`snapshot ${key} is not a ${snaps.driver} tree`);
  const info = await snaps.stat(key);
  const parent = info.parent === undefined ? [] : [await snaps.fsPath(info.parent)];
  return changesDirs(m.rootfs, [...parent, ...extraLowers], { exact: snaps.exact });
}
