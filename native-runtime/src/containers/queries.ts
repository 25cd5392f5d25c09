// What containers look like from outside (inspect, list with Docker's filters, sizes, logs): reads
// only, so a read-only instance first reloads the writer's files.
import type { Readable } from 'node:stream';
import type { ContainerInspect, ContainerSummary } from '../engine/types.js';
import { normalizeFilters } from '../events/filters.js';
import type { ImageStores } from '../images/open.js';
import { followLogs, logsBuffer } from '../logs/index.js';
import { filterContainers, parseContainerFilters } from './list-filter.js';
import { isActive, type ContainerRecord } from './record.js';
import type { ContainerStore } from './store.js';
import { inspectView, summaryView } from './view.js';

export interface LogsArgs {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  since?: number | string;
  until?: number | string;
  timestamps?: boolean;
  tail?: number | 'all' | string;
}

export class ContainerQueries {
  constructor(private readonly d: { store: ContainerStore; stores: ImageStores; readOnly: boolean }) {}

  /** Read-only instances see the writer's latest files. */
  async refresh(): Promise<void> {
    if (this.d.readOnly) await this.d.store.load();
  }

  async inspect(idOrName: string, opts: { size?: boolean } = {}): Promise<ContainerInspect> {
    await this.refresh();
    const rec = this.d.store.get(idOrName);
    return inspectView(rec, this.d.store.dir(rec.cfg.id), opts.size ? await this.sizes(rec) : undefined);
  }

  async sizes(rec: ContainerRecord): Promise<{ rw: number; rootFs: number }> {
    const rw = await this.d.stores.snapshots.usage(rec.cfg.snapshotKey).then((u) => u.size, () => 0);
    const img = await this.d.stores.images.find(rec.cfg.imageId).catch(() => null);
    const base = img ? img.layerSizes.reduce((a, b) => a + b, 0) : 0;
    return { rw, rootFs: rw + base };
  }

  async list(opts: { all?: boolean; limit?: number; size?: boolean; filters?: Parameters<typeof normalizeFilters>[0] } = {}): Promise<ContainerSummary[]> {
    await this.refresh();
    const f = normalizeFilters(opts.filters);
    const cf = parseContainerFilters(f);
    const lastOf = (key: string): string | undefined => f.get(key)?.at(-1);
    const beforeRef = lastOf('before');
    const sinceRef = lastOf('since');
    const recs = filterContainers(
      this.d.store.all().sort((a, b) => (a.cfg.created < b.cfg.created ? 1 : a.cfg.created > b.cfg.created ? -1 : 0)),
      cf,
      {
        all: opts.all ?? false,
        limit: opts.limit && opts.limit > 0 ? opts.limit : 0,
        ancestorIds: f.get('ancestor')?.length ? await this.ancestorImageIds(f.get('ancestor')!) : null,
        ...(beforeRef !== undefined ? { beforeId: this.d.store.get(beforeRef).cfg.id } : {}),
        ...(sinceRef !== undefined ? { sinceId: this.d.store.get(sinceRef).cfg.id } : {}),
      },
    );
    const out: ContainerSummary[] = [];
    for (const r of recs) out.push(summaryView(r, opts.size ? await this.sizes(r) : undefined));
    return out;
  }

  /** The images an ancestor filter accepts: each named image and every image built on it (dockerd walks children). */
  private async ancestorImageIds(refs: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    const roots: string[] = [];
    for (const a of refs) {
      const img = await this.d.stores.images.find(a).catch(() => null);
      if (img) roots.push(img.id);
    }
    if (!roots.length) return out;
    const records = await this.d.stores.images.records();
    const parentOf = new Map(records.map((r) => [r.id, r.parent]));
    roots.forEach((id) => out.add(id));
    for (const r of records) {
      const seen = new Set<string>();
      for (let p = r.parent; p && !seen.has(p); p = parentOf.get(p)) {
        seen.add(p);
        if (out.has(p)) {
          out.add(r.id);
          break;
        }
      }
    }
    return out;
  }

  async logs(idOrName: string, opts: LogsArgs): Promise<Buffer | Readable> {
    await this.refresh();
    const rec = this.d.store.get(idOrName);
    const id = rec.cfg.id;
    const dir = this.d.store.logDir(id);
    const tail = opts.tail === undefined ? undefined : String(opts.tail);
    const read = { stdout: opts.stdout, stderr: opts.stderr, since: opts.since || undefined, until: opts.until || undefined, tail, timestamps: opts.timestamps, tty: rec.cfg.config.Tty };
    if (!opts.follow) return logsBuffer(dir, read);
    const running = (): boolean => {
      const r = this.d.store.find(id);
      if (this.d.readOnly && r) void this.d.store.load();
      return !!r && isActive(r);
    };
    return followLogs(dir, read, running);
  }
}
