// A snapshot's own changes as an overlay-style upper dir, so every reader written for overlay (the
// layer writer, docker diff, commit, the builder) serves btrfs and vfs too. For overlay it is the upper
// dir itself. For btrfs/vfs a scratch dir beside the snapshot is built from the changes (changes.ts; the
// addon does the walk and the building in one pass): hard links to the added and modified files (same
// inode: content, owner, mode and xattrs come along, and no byte is copied), their directories (mode,
// owner, xattrs and times of the tree's), and a 0:0 character device (overlay's whiteout) per deleted path.
import path from 'node:path';
import { removeTree } from '../native/index.js';
import { randomHex } from '../util/ids.js';
import { BtrfsSnapshotter } from './btrfs.js';
import { changesDirs, type Change } from './changes.js';
import { DirSnapshotter } from './dir-driver.js';
import type { Snapshotter } from './types.js';

export interface UpperView {
  upper: string;
  /** The layers under it, top-most first. */
  lowers: string[];
  release(): Promise<void>;
}

export async function upperView(snaps: Snapshotter, key: string, opts: { extraLowers?: string[] } = {}): Promise<UpperView> {
  const m = await snaps.mounts(key);
  if (!(snaps instanceof DirSnapshotter) || !m.rootfs) {
    const lowers = m.lower.map((l) => path.resolve(m.cwd, l));
    return { upper: await snaps.fsPath(key), lowers, release: async () => {} };
  }
  const info = await snaps.stat(key);
  const parent = info.parent === undefined ? [] : [await snaps.fsPath(info.parent)];
  const oldDirs = [...parent, ...(opts.extraLowers ?? [])];
  const scratch = path.join(await snaps.dirPath(key), `changes-${randomHex(6)}`);
  const release = (): Promise<void> => (snaps instanceof BtrfsSnapshotter ? snaps.removeSubvolume(scratch) : removeTree(scratch));
  try {
    if (snaps instanceof BtrfsSnapshotter) {
      // A hard link never crosses subvolumes: a snapshot of the tree (constant time, a frozen copy
      // nothing else writes to), compared with the parent and pruned to the changes, does the same job.
      await snaps.snapshotSubvolume(m.rootfs, scratch);
      await changesDirs(scratch, oldDirs, { exact: snaps.exact, prune: scratch });
    } else {
      await changesDirs(m.rootfs, oldDirs, { exact: snaps.exact, upper: scratch });
    }
  } catch (err) {
    await release().catch(() => {});
    throw err;
  }
  return { upper: scratch, lowers: oldDirs, release };
}

/** btrfs/vfs: the changes of an active snapshot over its parent (and `extraLowers`), moby's ChangesDirs. */
export async function dirSnapshotChanges(snaps: Snapshotter, key: string, extraLowers: string[] = []): Promise<Change[]> {
  const m = await snaps.mounts(key);
  if (!(snaps instanceof DirSnapshotter) || !m.rootfs) throw new Error(`snapshot ${key} is not a ${snaps.driver} tree`);
  const info = await snaps.stat(key);
  const parent = info.parent === undefined ? [] : [await snaps.fsPath(info.parent)];
  return (await changesDirs(m.rootfs, [...parent, ...extraLowers], { exact: snaps.exact })).changes;
}
