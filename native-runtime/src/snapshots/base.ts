// The record keeping every snapshotter shares (overlay, btrfs, vfs), over <root>:
//   <id>/fs              the snapshot's files (overlay: the layer's own; btrfs/vfs: the whole tree)
//   meta.json            all records; rewritten atomically, so it is the commit point of every change
// A driver supplies how files are made, committed, removed and mounted (the hooks below).
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { readJsonOr, replaceJsonNowSyncLater, writeJsonAtomic } from '../util/atomic.js';
import { randomId, shortLinkId } from '../util/ids.js';
import { diskUsage } from '../util/du.js';
import { discardDir, emptyTrash } from '../util/trash.js';
import { SnapshotError, type DriverName, type OverlayMounts, type PrepareOptions, type SnapshotInfo, type SnapshotKind, type Snapshotter, type Usage } from './types.js';

export interface SnapshotRecord {
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

export interface MetaFile {
  version: 1;
  snapshots: Record<string, SnapshotRecord>;
}

export abstract class MetaSnapshotter implements Snapshotter {
  abstract readonly driver: DriverName;
  readonly root: string;
  private meta: MetaFile | undefined;
  // Serialises read-modify-write cycles of meta.json within this process (one writer per root: berth.lock).
  private queue: Promise<unknown> = Promise.resolve();

  constructor(root: string) {
    this.root = root;
  }

  /** Makes the snapshot's files: `<root>/<id>/fs` (and what else the driver needs). */
  protected abstract makeFiles(rec: SnapshotRecord, parent: SnapshotRecord | undefined): void | Promise<void>;
  /** Turns an active snapshot's files into a committed layer's. */
  protected abstract commitFiles(rec: SnapshotRecord): Promise<void>;
  protected abstract mountsOf(meta: MetaFile, rec: SnapshotRecord): OverlayMounts;
  /** DriverStatus as `docker info` shows it. */
  abstract status(): Promise<[string, string][]>;

  protected async load(): Promise<MetaFile> {
    if (!this.meta) this.meta = await readJsonOr<MetaFile>(this.metaPath, { version: 1, snapshots: {} });
    return this.meta;
  }

  private get metaPath(): string {
    return path.join(this.root, 'meta.json');
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

  protected get(meta: MetaFile, key: string): SnapshotRecord {
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
      const link = this.usesLinks ? shortLinkId() : '';
      const now = new Date().toISOString();
      const rec0: SnapshotRecord = { id, key, kind, link, created: now, updated: now };
      if (parent !== undefined) rec0.parent = parent;
      try {
        await this.makeFiles(rec0, parent === undefined ? undefined : meta.snapshots[parent]);
      } catch (err) {
        await this.removeFiles(rec0).catch(() => {});
        throw err;
      }
      const rec = rec0;
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
      const usage = await this.ownUsage(meta, rec);
      await this.commitFiles(rec);
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
        this.discardFiles(rec);
      } else {
        await this.removeFiles(rec);
      }
    });
  }

  protected get trashDir(): string {
    return path.join(this.root, 'trash');
  }

  /** Overlay's l/ links: short names for its lower dirs. */
  protected get usesLinks(): boolean {
    return false;
  }

  protected async removeFiles(rec: SnapshotRecord): Promise<void> {
    if (rec.link) await fsp.rm(path.join(this.root, 'l', rec.link), { force: true });
    // Retries: after a crash, a copy the dead engine started (vfs's cp) may still be writing here.
    await fsp.rm(path.join(this.root, rec.id), { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  }

  /** The files go aside now and are deleted in the background. */
  protected discardFiles(rec: SnapshotRecord): void {
    if (rec.link) fs.rmSync(path.join(this.root, 'l', rec.link), { force: true });
    discardDir(path.join(this.root, rec.id), this.trashDir);
  }

  /** The bytes this snapshot adds over its parent (a full-copy driver overrides this). */
  protected ownUsage(_meta: MetaFile, rec: SnapshotRecord): Promise<Usage> {
    return diskUsage(path.join(this.root, rec.id, 'fs'));
  }

  usage(key: string): Promise<Usage> {
    return this.locked(async (meta) => {
      const rec = this.get(meta, key);
      if (rec.usage) return rec.usage;
      return this.ownUsage(meta, rec);
    });
  }

  stat(key: string): Promise<SnapshotInfo> {
    return this.locked(async (meta) => toInfo(this.get(meta, key)));
  }

  list(): Promise<SnapshotInfo[]> {
    return this.locked(async (meta) => Object.values(meta.snapshots).map(toInfo));
  }

  async walk(fn: (info: SnapshotInfo) => void | Promise<void>): Promise<void> {
    for (const info of await this.list()) await fn(info);
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
          await this.removeFiles({ id: name, key: '', kind: 'active', link: '', created: '', updated: '' });
          nd++;
        }
      }
      for (const name of this.usesLinks ? await fsp.readdir(path.join(this.root, 'l')) : []) {
        if (!links.has(name)) {
          await fsp.rm(path.join(this.root, 'l', name), { force: true });
          nl++;
        }
      }
      return { dirs: nd, links: nl };
    });
  }
}

export function toInfo(r: SnapshotRecord): SnapshotInfo {
  const info: SnapshotInfo = { key: r.key, kind: r.kind, created: r.created, updated: r.updated };
  if (r.parent !== undefined) info.parent = r.parent;
  if (r.labels) info.labels = r.labels;
  return info;
}
