// vfs: every snapshot a full copy of its parent (`cp -a`, reflinked where the filesystem can). Slow and
// large, but it works on any filesystem, overlay included (Berth inside a container).
import { execFile } from 'node:child_process';
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DirSnapshotter } from './dir-driver.js';
import type { SnapshotRecord } from './base.js';
import { backingFs } from './backing-fs.js';

const run = promisify(execFile);

export class VfsSnapshotter extends DirSnapshotter {
  readonly driver = 'vfs' as const;
  protected readonly exactDiff = false;

  static async open(root: string): Promise<VfsSnapshotter> {
    const s = new VfsSnapshotter(root);
    await fsp.mkdir(root, { recursive: true, mode: 0o700 });
    await s.load();
    return s;
  }

  protected async makeFiles(rec: SnapshotRecord, parent: SnapshotRecord | undefined): Promise<void> {
    const dir = path.join(this.root, rec.id);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!parent) {
      fs.mkdirSync(this.fsOf(rec), { mode: 0o755 });
      fs.chmodSync(this.fsOf(rec), 0o755);
      return;
    }
    // -a keeps owners, modes, times, links, xattrs and special files; --reflink shares extents on xfs/btrfs.
    await run('cp', ['-a', '--reflink=auto', '--', this.fsOf(parent), this.fsOf(rec)], { maxBuffer: 1 << 20 });
  }

  protected async commitFiles(): Promise<void> {}

  async status(): Promise<[string, string][]> {
    return [['Backing Filesystem', (await backingFs(this.root)).name]];
  }
}
