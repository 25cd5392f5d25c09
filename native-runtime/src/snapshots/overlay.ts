// Overlay snapshotter over <root> (= $BERTH_ROOT/snapshots):
//   <id>/fs, <id>/work   the layer's files / overlay's work dir
//   l/<short> -> ../<id>/fs   short names so long lower chains fit in the mount options
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { MetaSnapshotter, type MetaFile, type SnapshotRecord } from './base.js';
import { backingFs } from './backing-fs.js';
import type { OverlayMounts } from './types.js';

export class OverlaySnapshotter extends MetaSnapshotter {
  readonly driver = 'overlay' as const;

  static async open(root: string): Promise<OverlaySnapshotter> {
    const s = new OverlaySnapshotter(root);
    await fsp.mkdir(path.join(root, 'l'), { recursive: true, mode: 0o700 });
    await s.load();
    return s;
  }

  protected override get usesLinks(): boolean {
    return true;
  }

  // Four metadata calls: synchronous, cheaper than four thread-pool round trips.
  protected makeFiles(rec: SnapshotRecord): void {
    const dir = path.join(this.root, rec.id);
    fs.mkdirSync(path.join(dir, 'fs'), { recursive: true, mode: 0o755 });
    fs.chmodSync(path.join(dir, 'fs'), 0o755);
    if (rec.kind === 'active') fs.mkdirSync(path.join(dir, 'work'), { mode: 0o700 });
    fs.symlinkSync(`../${rec.id}/fs`, path.join(this.root, 'l', rec.link));
  }

  // The work dir is only needed while mounted read-write; a committed layer is a lower.
  protected async commitFiles(rec: SnapshotRecord): Promise<void> {
    await fsp.rm(path.join(this.root, rec.id, 'work'), { recursive: true, force: true });
  }

  protected mountsOf(meta: MetaFile, rec: SnapshotRecord): OverlayMounts {
    const lower: string[] = [];
    let p = rec.parent;
    while (p !== undefined) {
      const pr = this.get(meta, p);
      lower.push(`l/${pr.link}`);
      p = pr.parent;
    }
    if (rec.kind === 'active') {
      return { cwd: this.root, lower, upper: path.join(this.root, rec.id, 'fs'), work: path.join(this.root, rec.id, 'work') };
    }
    // A view reads its parent chain; a committed snapshot mounted read-only includes itself.
    if (rec.kind === 'committed') lower.unshift(`l/${rec.link}`);
    return { cwd: this.root, lower, readonly: true };
  }

  // moby's overlay2 Status().
  async status(): Promise<[string, string][]> {
    return [['Backing Filesystem', (await backingFs(this.root)).name], ['Supports d_type', 'true'], ['Native Overlay Diff', 'true'], ['userxattr', 'false']];
  }
}
