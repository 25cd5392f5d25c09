// ContainerStore: the records under <root>/containers/<id>/ and lookups by id, id prefix or name.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { conflict, nameInUse, noSuchContainer } from '../errors.js';
import { readJsonOr, replaceJsonNowSyncLater, replaceJsonSync, writeJsonAtomic } from '../util/atomic.js';
import { discardDir, emptyTrash } from '../util/trash.js';
import { randomName } from './names.js';
import type { ContainerConfigFile, ContainerRecord, ContainerStateFile } from './record.js';

export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();

  constructor(readonly root: string) {}

  dir(id: string): string {
    return path.join(this.root, id);
  }

  logDir(id: string): string {
    return path.join(this.root, id, 'log');
  }

  async load(): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true, mode: 0o700 }).catch(() => {});
    let names: string[] = [];
    try {
      names = await fsp.readdir(this.root);
    } catch {
      return;
    }
    // Build aside and swap, so a concurrent reader never sees a half-loaded map.
    const next = new Map<string, ContainerRecord>();
    for (const id of names) {
      if (!/^[a-f0-9]{64}$/.test(id)) continue;
      const cfg = await readJsonOr<ContainerConfigFile | null>(path.join(this.root, id, 'config.json'), null).catch(() => null);
      const state = await readJsonOr<ContainerStateFile | null>(path.join(this.root, id, 'state.json'), null).catch(() => null);
      // A create that crashed before both files were written never existed.
      if (cfg && state) next.set(id, { cfg, state });
    }
    this.byId.clear();
    for (const [k, v] of next) this.byId.set(k, v);
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  /** Docker's lookup order: full id, then exact name, then unique id prefix. */
  find(idOrName: string): ContainerRecord | undefined {
    const exact = this.byId.get(idOrName);
    if (exact) return exact;
    const name = idOrName.startsWith('/') ? idOrName : `/${idOrName}`;
    for (const r of this.byId.values()) if (r.cfg.name === name) return r;
    if (!/^[a-f0-9]+$/.test(idOrName)) return undefined;
    const hits = [...this.byId.values()].filter((r) => r.cfg.id.startsWith(idOrName));
    if (hits.length > 1) throw conflict(`Multiple IDs found with provided prefix: ${idOrName}`);
    return hits[0];
  }

  get(idOrName: string): ContainerRecord {
    const r = this.find(idOrName);
    if (!r) throw noSuchContainer(idOrName);
    return r;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Throws Docker's 409 when the name is taken by another container. */
  checkName(name: string, exceptId?: string): void {
    const n = name.startsWith('/') ? name : `/${name}`;
    for (const r of this.byId.values()) if (r.cfg.name === n && r.cfg.id !== exceptId) throw nameInUse(n, r.cfg.id);
  }

  uniqueRandomName(): string {
    for (let i = 0; ; i++) {
      const n = `/${randomName(i > 3 ? 1 : 0)}`;
      if (![...this.byId.values()].some((r) => r.cfg.name === n)) return n;
    }
  }

  /**
   * A new record: state first, then config (load() skips a directory without both). Written at once and
   * made durable just after (util/atomic.ts, deferred durability), so create does not wait for the disk.
   */
  async add(rec: ContainerRecord): Promise<void> {
    fs.mkdirSync(this.logDir(rec.cfg.id), { recursive: true, mode: 0o700 });
    await this.saveState(rec);
    replaceJsonNowSyncLater(path.join(this.dir(rec.cfg.id), 'config.json'), rec.cfg, 0o600);
    this.byId.set(rec.cfg.id, rec);
  }

  async saveConfig(rec: ContainerRecord): Promise<void> {
    await writeJsonAtomic(path.join(this.dir(rec.cfg.id), 'config.json'), rec.cfg, 0o600);
  }

  async saveState(rec: ContainerRecord): Promise<void> {
    // No fsync: a stale state.json after a crash is corrected by recover() (exit file, live shim).
    replaceJsonSync(path.join(this.dir(rec.cfg.id), 'state.json'), rec.state, 0o600);
  }

  /**
   * Forgets the record and deletes its directory: state.json first, so a crash mid-way forgets it too;
   * the rest is moved aside and deleted in the background (util/trash.ts).
   */
  async delete(id: string): Promise<void> {
    this.byId.delete(id);
    fs.rmSync(path.join(this.dir(id), 'state.json'), { force: true });
    discardDir(this.dir(id), this.trashDir);
  }

  private get trashDir(): string {
    return path.join(this.root, 'trash');
  }

  /** The writer, at start: deletes what removals interrupted by a crash left in the trash. */
  sweepTrash(): void {
    emptyTrash(this.trashDir);
  }
}
