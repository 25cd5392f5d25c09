// What btrfs and vfs share: every snapshot is a complete tree at <root>/<id>/fs, bound as the rootfs,
// and what a snapshot adds over its parent is found by comparing the two trees (changes.ts).
import path from 'node:path';
import { MetaSnapshotter, type MetaFile, type SnapshotRecord } from './base.js';
import { changesDirs } from './changes.js';
import type { OverlayMounts, Usage } from './types.js';
import { diskUsage } from '../util/du.js';

export abstract class DirSnapshotter extends MetaSnapshotter {
  /** btrfs: a snapshot keeps inode numbers and ctimes, so the comparison is exact. */
  protected abstract readonly exactDiff: boolean;

  protected fsOf(rec: SnapshotRecord): string {
    return path.join(this.root, rec.id, 'fs');
  }

  protected mountsOf(_meta: MetaFile, rec: SnapshotRecord): OverlayMounts {
    const fs = this.fsOf(rec);
    if (rec.kind === 'active') return { cwd: this.root, lower: [], upper: fs, rootfs: fs };
    return { cwd: this.root, lower: [path.relative(this.root, fs)], readonly: true, rootfs: fs };
  }

  /** Docker's DiffSize/SizeRw for a full-copy driver: the bytes of what changed since the parent. */
  protected override async ownUsage(meta: MetaFile, rec: SnapshotRecord): Promise<Usage> {
    if (rec.parent === undefined) return diskUsage(this.fsOf(rec));
    const parent = this.fsOf(this.get(meta, rec.parent));
    return (await changesDirs(this.fsOf(rec), [parent], { exact: this.exactDiff })).usage;
  }

  /** Whether comparing with the parent is exact (btrfs) or by moby's stat fields (vfs). */
  get exact(): boolean {
    return this.exactDiff;
  }
}
