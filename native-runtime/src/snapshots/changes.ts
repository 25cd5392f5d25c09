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
// The walk runs in the addon (native/addon/tree_diff.cc), by directory fds with no symlink followed
// (the new tree may belong to a running container), off the JS thread.
import { treeChanges } from '../native/index.js';
import type { Usage } from './types.js';

export const KIND_MODIFIED = 0;
export const KIND_ADDED = 1;
export const KIND_DELETED = 2;

export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

export interface TreeDiff {
  changes: Change[];
  /** moby's ChangesSize: bytes of added and modified non-directories (each inode once), and their count. */
  usage: Usage;
}

/**
 * Changes of `newDir` over the merged view of `oldDirs` (top-most first). With `exact`, oldDirs[0] is
 * the tree newDir was snapshotted from (see above). `upper` / `prune`: native/index.ts treeChanges.
 */
export async function changesDirs(newDir: string, oldDirs: readonly string[], opts: { exact?: boolean; upper?: string; prune?: string } = {}): Promise<TreeDiff> {
  const r = await treeChanges(newDir, [...oldDirs], { exact: opts.exact ?? false, ...(opts.upper ? { upper: opts.upper } : {}), ...(opts.prune ? { prune: opts.prune } : {}) });
  return { changes: r.changes, usage: { size: r.size, inodes: r.inodes } };
}
