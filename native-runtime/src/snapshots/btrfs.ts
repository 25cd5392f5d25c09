// btrfs: every layer a subvolume; a child layer, a view or a container's layer is a snapshot of its
// parent's subvolume (constant time, no copies). Committed layers are made read-only. The `btrfs` CLI
// (btrfs-progs) does the work: one fork per prepare, commit and remove (docs/storage.md says why).
import { execFile } from 'node:child_process';
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DirSnapshotter } from './dir-driver.js';
import type { SnapshotRecord } from './base.js';
import { backingFs } from './backing-fs.js';

const run = promisify(execFile);

export const BTRFS_CLI = '/usr/bin/btrfs';

async function btrfs(...args: string[]): Promise<void> {
  try {
    await run(BTRFS_CLI, args, { maxBuffer: 1 << 20 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`btrfs ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

export class BtrfsSnapshotter extends DirSnapshotter {
  readonly driver = 'btrfs' as const;
  protected readonly exactDiff = true;

  static async open(root: string): Promise<BtrfsSnapshotter> {
    await fsp.mkdir(root, { recursive: true, mode: 0o700 });
    const fsName = (await backingFs(root)).name;
    if (fsName !== 'btrfs') throw new Error(`the btrfs storage driver needs ${root} on btrfs (it is on ${fsName})`);
    if (!fs.existsSync(BTRFS_CLI)) throw new Error(`the btrfs storage driver needs ${BTRFS_CLI} (Debian package btrfs-progs)`);
    const s = new BtrfsSnapshotter(root);
    await s.load();
    return s;
  }

  protected async makeFiles(rec: SnapshotRecord, parent: SnapshotRecord | undefined): Promise<void> {
    fs.mkdirSync(path.join(this.root, rec.id), { recursive: true, mode: 0o700 });
    if (!parent) {
      await btrfs('subvolume', 'create', this.fsOf(rec));
      fs.chmodSync(this.fsOf(rec), 0o755);
      return;
    }
    const ro = rec.kind === 'view' ? ['-r'] : [];
    await btrfs('subvolume', 'snapshot', ...ro, this.fsOf(parent), this.fsOf(rec));
  }

  protected async commitFiles(rec: SnapshotRecord): Promise<void> {
    await btrfs('property', 'set', '-ts', this.fsOf(rec), 'ro', 'true');
  }

  protected override async removeFiles(rec: SnapshotRecord): Promise<void> {
    const sub = this.fsOf(rec);
    if (fs.existsSync(sub)) await btrfs('subvolume', 'delete', sub);
    await fsp.rm(path.join(this.root, rec.id), { recursive: true, force: true });
  }

  /** Deleting a subvolume is one ioctl: no trash needed; a crash leaves an orphan that cleanup() removes. */
  protected override discardFiles(rec: SnapshotRecord): void {
    this.removeFiles(rec).catch((err: Error) => process.emitWarning(`removing snapshot ${rec.id}: ${err.message}`));
  }

  /** A writable snapshot of subvolume `src` at `dst` (upper-view.ts). */
  async snapshotSubvolume(src: string, dst: string): Promise<void> {
    await btrfs('subvolume', 'snapshot', src, dst);
  }

  async removeSubvolume(dir: string): Promise<void> {
    if (fs.existsSync(dir)) await btrfs('subvolume', 'delete', dir);
  }

  async status(): Promise<[string, string][]> {
    return [['Backing Filesystem', 'btrfs']];
  }
}
