// NetworkStore: one JSON file per network under <root>/networks/, written atomically; lookups by id,
// name or unique id prefix, as dockerd's.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { conflict, noSuchNetwork } from '../errors.js';
import { readJsonOr, replaceJsonNowSyncLater, writeJsonAtomic } from '../util/atomic.js';
import type { NetworkRecord } from './types.js';

export class NetworkStore {
  private readonly byId = new Map<string, NetworkRecord>();

  constructor(readonly dir: string) {}

  async load(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const next = new Map<string, NetworkRecord>();
    for (const f of await fsp.readdir(this.dir)) {
      if (!/^[a-f0-9]{64}\.json$/.test(f)) continue;
      const rec = await readJsonOr<NetworkRecord | null>(path.join(this.dir, f), null).catch(() => null);
      if (rec) next.set(rec.Id, rec);
    }
    this.byId.clear();
    for (const [k, v] of next) this.byId.set(k, v);
  }

  all(): NetworkRecord[] {
    return [...this.byId.values()];
  }

  find(idOrName: string): NetworkRecord | undefined {
    const exact = this.byId.get(idOrName);
    if (exact) return exact;
    for (const r of this.byId.values()) if (r.Name === idOrName) return r;
    if (!/^[a-f0-9]+$/.test(idOrName)) return undefined;
    const hits = this.all().filter((r) => r.Id.startsWith(idOrName));
    if (hits.length > 1) throw conflict(`network ${idOrName} is ambiguous (${hits.length} matches found based on ID prefix)`);
    return hits[0];
  }

  get(idOrName: string): NetworkRecord {
    const r = this.find(idOrName);
    if (!r) throw noSuchNetwork(idOrName);
    return r;
  }

  async save(rec: NetworkRecord): Promise<void> {
    await writeJsonAtomic(path.join(this.dir, `${rec.Id}.json`), rec, 0o600);
    this.byId.set(rec.Id, rec);
  }

  /**
   * For address allocations on the create / start / remove paths: replaced atomically now, made
   * durable in the background (util/atomic). What a power loss could undo, recover() reconciles
   * with the containers' own records.
   */
  saveSoon(rec: NetworkRecord): void {
    replaceJsonNowSyncLater(path.join(this.dir, `${rec.Id}.json`), rec, 0o600);
    this.byId.set(rec.Id, rec);
  }

  async delete(id: string): Promise<void> {
    await fsp.rm(path.join(this.dir, `${id}.json`), { force: true });
    this.byId.delete(id);
  }
}
