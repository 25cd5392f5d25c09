// Overlay snapshotter over <root> (= $BERTH_ROOT/snapshots):
//   <id>/fs, <id>/work   the layer's files / overlay's work dir
//   l/<short> -> ../<id>/fs   short names so long lower chains fit in the mount options
//   meta.json            all records; rewritten atomically, so it is the commit point of every change
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { readJsonOr, replaceJsonNowSyncLater, writeJsonAtomic } from '../util/atomic.js';
import { randomId, shortLinkId } from '../util/ids.js';
import { diskUsage } from '../util/du.js';
import { discardDir, emptyTrash } from '../util/trash.js';
import { SnapshotError, type OverlayMounts, type PrepareOptions, type SnapshotInfo, type SnapshotKind, type Snapshotter, type Usage } from './types.js';

interface SnapshotRecord {
  id: string;
  key: string;
  parent?: string;
  kind: SnapshotKind;
  link: string;
  created: string;
  updated: string;
  labels?: Record<string, string>;
  /** Cached for committed snapshots: their contents never change. */
  usage?: Usage;
}

interface MetaFile {
  version: 1;
  snapshots: Record<string, SnapshotRecord>;
}

export class OverlaySnapshotter implements Snapshotter {
  readonly root: string;
  private meta: MetaFile | undefined;
  // Serialises read-modify-write cycles of meta.json within this process (one writer per root: berth.lock).
  private queue: Promise<unknown> = Promise.resolve();

  constructor(root: string) {
    this.root = root;
  }

  static async open(root: string): Promise<OverlaySnapshotter> {
    const s = new OverlaySnapshotter(root);
    await fsp.mkdir(path.join(root, 'l'), { recursive: true, mode: 0o700 });
    await s.load();
    return s;
  }

  private get metaPath(): string {
    return path.join(this.root, 'meta.json');
  }

  private async load(): Promise<MetaFile> {
    if (!this.meta) this.meta = await readJsonOr<MetaFile>(this.metaPath, { version: 1, snapshots: {} });
    return this.meta;
  }

  private locked<T>(fn: (meta: MetaFile) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => fn(await this.load()));
    this.queue = run.catch(() => {});
    return run;
  }

  /** Writes a copy first, so a failed write leaves the in-memory view equal to the disk. */
  private async save(next: MetaFile, durability: 'now' | 'deferred' = 'now'): Promise<void> {
    if (durability === 'deferred') replaceJsonNowSyncLater(this.metaPath, next, 0o600);
    else await writeJsonAtomic(this.metaPath, next, 0o600);
    this.meta = next;
  }

  private get(meta: MetaFile, key: string): SnapshotRecord {
    const r = meta.snapshots[key];
    if (!r) throw new SnapshotError('NOT_FOUND', `snapshot ${key} does not exist`);
    return r;
  }

  prepare(key: string, parent?: string, opts: PrepareOptions = {}): Promise<OverlayMounts> {
    return this.create('active', key, parent, opts.labels, opts.durability);
  }

  view(key: string, parent: string, opts: { labels?: Record<string, string> } = {}): Promise<OverlayMounts> {
    return this.create('view', key, parent, opts.labels);
  }

  private create(kind: SnapshotKind, key: string, parent: string | undefined, labels?: Record<string, string>, durability: 'now' | 'deferred' = 'now'): Promise<OverlayMounts> {
    if (!key) return Promise.reject(new SnapshotError('INVALID_ARGUMENT', 'snapshot key must not be empty'));
    return this.locked(async (meta) => {
      if (meta.snapshots[key]) throw new SnapshotError('ALREADY_EXISTS', `snapshot ${key} already exists`);
      if (parent !== undefined) {
        const p = this.get(meta, parent);
        if (p.kind !== 'committed') throw new SnapshotError('FAILED_PRECONDITION', `parent ${parent} is not committed`);
      }
      const id = randomId();
      const link = shortLinkId();
      const dir = path.join(this.root, id);
      // Four metadata calls: synchronous, cheaper than four thread-pool round trips.
      fs.mkdirSync(path.join(dir, 'fs'), { recursive: true, mode: 0o755 });
      fs.chmodSync(path.join(dir, 'fs'), 0o755);
      if (kind === 'active') fs.mkdirSync(path.join(dir, 'work'), { mode: 0o700 });
      fs.symlinkSync(`../${id}/fs`, path.join(this.root, 'l', link));
      const now = new Date().toISOString();
      const rec: SnapshotRecord = { id, key, kind, link, created: now, updated: now };
      if (parent !== undefined) rec.parent = parent;
      if (labels) rec.labels = labels;
      try {
        await this.save({ ...meta, snapshots: { ...meta.snapshots, [key]: rec } }, durability);
      } catch (err) {
        await this.removeFiles(rec);
        throw err;
      }
      return this.mountsOf({ ...meta, snapshots: { ...meta.snapshots, [key]: rec } }, rec);
    });
  }

  commit(name: string, activeKey: string, opts: { labels?: Record<string, string> } = {}): Promise<void> {
    return this.locked(async (meta) => {
      const rec = this.get(meta, activeKey);
      if (rec.kind !== 'active') throw new SnapshotError('FAILED_PRECONDITION', `snapshot ${activeKey} is not active`);
      if (meta.snapshots[name]) throw new SnapshotError('ALREADY_EXISTS', `snapshot ${name} already exists`);
      const dir = path.join(this.root, rec.id);
      const usage = await diskUsage(path.join(dir, 'fs'));
      // The work dir is only needed while mounted read-write; a committed layer is a lower.
      await fsp.rm(path.join(dir, 'work'), { recursive: true, force: true });
      const committed: SnapshotRecord = { ...rec, key: name, kind: 'committed', updated: new Date().toISOString(), usage };
      if (opts.labels) committed.labels = { ...rec.labels, ...opts.labels };
      const snapshots = { ...meta.snapshots };
      delete snapshots[activeKey];
      snapshots[name] = committed;
      await this.save({ ...meta, snapshots });
    });
  }

  mounts(key: string): Promise<OverlayMounts> {
    return this.locked(async (meta) => this.mountsOf(meta, this.get(meta, key)));
  }

  private mountsOf(meta: MetaFile, rec: SnapshotRecord): OverlayMounts {
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

  remove(key: string, opts: { durability?: 'now' | 'deferred' } = {}): Promise<void> {
    return this.locked(async (meta) => {
      const rec = this.get(meta, key);
      const child = Object.values(meta.snapshots).find((s) => s.parent === key);
      if (child) throw new SnapshotError('FAILED_PRECONDITION', `snapshot ${key} has a child ${child.key}`);
      const snapshots = { ...meta.snapshots };
      delete snapshots[key];
      // Record first: a crash after this leaves only an orphan dir, which cleanup() removes.
      await this.save({ ...meta, snapshots }, opts.durability);
      if (opts.durability === 'deferred') {
        fs.rmSync(path.join(this.root, 'l', rec.link), { force: true });
        discardDir(path.join(this.root, rec.id), this.trashDir);
      } else {
        await this.removeFiles(rec);
      }
    });
  }

  private get trashDir(): string {
    return path.join(this.root, 'trash');
  }

  private async removeFiles(rec: SnapshotRecord): Promise<void> {
    await fsp.rm(path.join(this.root, 'l', rec.link), { force: true });
    await fsp.rm(path.join(this.root, rec.id), { recursive: true, force: true });
  }

  usage(key: string): Promise<Usage> {
    return this.locked(async (meta) => {
      const rec = this.get(meta, key);
      if (rec.usage) return rec.usage;
      return diskUsage(path.join(this.root, rec.id, 'fs'));
    });
  }

  stat(key: string): Promise<SnapshotInfo> {
    return this.locked(async (meta) => toInfo(this.get(meta, key)));
  }

  list(): Promise<SnapshotInfo[]> {
    return this.locked(async (meta) => Object.values(meta.snapshots).map(toInfo));
  }

  fsPath(key: string): Promise<string> {
    return this.locked(async (meta) => path.join(this.root, this.get(meta, key).id, 'fs'));
  }

  dirPath(key: string): Promise<string> {
    return this.locked(async (meta) => path.join(this.root, this.get(meta, key).id));
  }

  /** Removes dirs and links that no record names (left by a crash between the two steps). */
  cleanup(): Promise<{ dirs: number; links: number }> {
    return this.locked(async (meta) => {
      emptyTrash(this.trashDir);
      const ids = new Set(Object.values(meta.snapshots).map((s) => s.id));
      const links = new Set(Object.values(meta.snapshots).map((s) => s.link));
      let nd = 0;
      let nl = 0;
      for (const name of await fsp.readdir(this.root)) {
        if (/^[a-f0-9]{64}$/.test(name) && !ids.has(name)) {
          await fsp.rm(path.join(this.root, name), { recursive: true, force: true });
          nd++;
        }
      }
      for (const name of await fsp.readdir(path.join(this.root, 'l'))) {
        if (!links.has(name)) {
          await fsp.rm(path.join(this.root, 'l', name), { force: true });
          nl++;
        }
      }
      return { dirs: nd, links: nl };
    });
  }
}

function toInfo(r: SnapshotRecord): SnapshotInfo {
  const info: SnapshotInfo = { key: r.key, kind: r.kind, created: r.created, updated: r.updated };
  if (r.parent !== undefined) info.parent = r.parent;
  if (r.labels) info.labels = r.labels;
  return info;
}
