// btrfs: every layer a subvolume; a child layer, a view or a container's layer is a snapshot of its
// parent's subvolume (constant time, no copies). Committed layers are made read-only. The work is done
// by ioctl in the addon (native/addon/btrfs.cc), as moby's btrfs graphdriver and containerd's btrfs
// snapshotter do: no fork of the btrfs CLI and no transaction commit waited on per create.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { DirSnapshotter } from './dir-driver.js';
import type { SnapshotRecord } from './base.js';
import { backingFs } from './backing-fs.js';
import { btrfs } from '../native/index.js';

/** btrfs-progs: needed only for `--storage-opt size=` (qgroups, quota.ts); the driver itself uses ioctls. */
export const BTRFS_CLI = '/usr/bin/btrfs';

export class BtrfsSnapshotter extends DirSnapshotter {
  readonly driver = 'btrfs' as const;
  protected readonly exactDiff = true;

  static async open(root: string): Promise<BtrfsSnapshotter> {
    await fsp.mkdir(root, { recursive: true, mode: 0o700 });
    const fsName = (await backingFs(root)).name;
    if (fsName !== 'btrfs') throw new Error(`the btrfs storage driver needs ${root} on btrfs (it is on ${fsName})`);
    const s = new BtrfsSnapshotter(root);
    await s.load();
    return s;
  }

  protected async makeFiles(rec: SnapshotRecord, parent: SnapshotRecord | undefined): Promise<void> {
    fs.mkdirSync(path.join(this.root, rec.id), { recursive: true, mode: 0o700 });
    if (!parent) {
      await btrfs.createSubvolume(this.fsOf(rec));
      fs.chmodSync(this.fsOf(rec), 0o755);
      return;
    }
    await btrfs.snapshot(this.fsOf(parent), this.fsOf(rec), { readonly: rec.kind === 'view' });
  }

  protected async commitFiles(rec: SnapshotRecord): Promise<void> {
    await btrfs.setReadonly(this.fsOf(rec), true);
  }

  protected override async removeFiles(rec: SnapshotRecord): Promise<void> {
    await this.removeSubvolume(this.fsOf(rec));
    // What else the record dir holds (an upper view's scratch left by a crash is a subvolume too).
    const dir = path.join(this.root, rec.id);
    for (const name of fs.existsSync(dir) ? await fsp.readdir(dir) : []) await this.removeSubvolume(path.join(dir, name));
    await fsp.rm(dir, { recursive: true, force: true });
  }

  /** Deleting a subvolume is one ioctl: no trash needed; a crash leaves an orphan that cleanup() removes. */
  protected override discardFiles(rec: SnapshotRecord): void {
    this.removeFiles(rec).catch((err: Error) => process.emitWarning(`removing snapshot ${rec.id}: ${err.message}`));
  }

  /** A writable snapshot of subvolume `src` at `dst` (upper-view.ts). */
  async snapshotSubvolume(src: string, dst: string): Promise<void> {
    await btrfs.snapshot(src, dst);
  }

  /** Deletes subvolume `dir`; a plain directory there is left to the caller's rm. */
  async removeSubvolume(dir: string): Promise<void> {
    if (fs.existsSync(dir) && btrfs.isSubvolume(dir)) await btrfs.deleteSubvolume(dir);
  }

  async status(): Promise<[string, string][]> {
    return [['Backing Filesystem', 'btrfs']];
  }
}
