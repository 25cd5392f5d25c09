// pruneImages: `docker image prune [-a] [--filter until=… --filter label=…]`, then a gc() of whatever is
// left unreferenced. Images used by a container are never touched (nor, through the parent chain, the
// images under them); blobs and snapshots held by a lease (pull, push, load, save, build in flight) or
// by a container survive the gc.
import { gc, type InUse } from '../archive/gc.js';
import type { Filters } from '../engine/types.js';
import { badParameter } from '../errors.js';
import { checkFilterNames, labelMatches, normalizeFilters, type NormalizedFilters } from '../events/filters.js';
import { parseTimeArg } from '../events/time.js';
import type { ImageStores } from './open.js';
import type { ImageDeleteItem } from './docker-shapes.js';
import type { ImageRecord } from './store.js';

export interface PruneImagesOptions {
  filters?: Filters | string;
  /** Image IDs used by containers (any state). */
  inUseImages: Iterable<string>;
  /** What the gc must keep besides leases: containers' snapshots, a build's state. */
  inUse?: InUse;
  onDeleted?: (item: ImageDeleteItem, imageId: string) => void;
}

export interface PruneImagesResult {
  ImagesDeleted: ImageDeleteItem[] | null;
  SpaceReclaimed: number;
}

interface ImageFilter {
  danglingOnly: boolean;
  /** Nanoseconds: only images created before every `until`. */
  until: bigint[];
  labels: string[];
  notLabels: string[];
}

function parseFilters(f: NormalizedFilters): ImageFilter {
  checkFilterNames(f, ['dangling', 'until', 'label', 'label!']);
  let danglingOnly = true;
  for (const v of f.get('dangling') ?? []) {
    const s = v.toLowerCase();
    if (s === 'true' || s === '1') danglingOnly = true;
    else if (s === 'false' || s === '0') danglingOnly = false;
    else throw badParameter(`invalid filter 'dangling=${v}'`);
  }
  const until = (f.get('until') ?? []).map((v) => parseTimeArg(v)!).filter((x) => x !== undefined);
  return { danglingOnly, until, labels: f.get('label') ?? [], notLabels: f.get('label!') ?? [] };
}

function createdNano(created: string): bigint {
  const ms = Date.parse(created);
  return Number.isNaN(ms) ? 0n : BigInt(ms) * 1_000_000n;
}

export async function pruneImages(stores: ImageStores, opts: PruneImagesOptions): Promise<PruneImagesResult> {
  const filter = parseFilters(normalizeFilters(opts.filters));
  const used = new Set(opts.inUseImages);
  const deleted: ImageDeleteItem[] = [];
  const tried = new Set<string>();
  // Leaves first: deleting a child can make its (untagged) parent a leaf, as dockerd's prune=true chain.
  // A worklist, not rounds over every record: a 10,000-image build chain frees one leaf per round.
  const work = (await stores.images.records()).filter((r) => !stores.images.childrenOf(r.id).length);
  for (let rec = work.pop(), n = 1; rec; rec = work.pop(), n++) {
    // remove() awaits no I/O of its own: let other requests in now and then (a chain has thousands).
    if (n % 64 === 0) await new Promise((res) => setImmediate(res));
    if (tried.has(rec.id) || used.has(rec.id) || stores.images.childrenOf(rec.id).length) continue;
    if (!(await matches(stores, rec, filter))) continue;
    tried.add(rec.id);
    const refs = await stores.images.references(rec.id);
    const tagged = refs.some((r) => r.tag !== undefined && r.digest === undefined);
    if (filter.danglingOnly && tagged) continue;
    let items: ImageDeleteItem[];
    try {
      items = await stores.images.remove(rec.id, { force: true, collect: false });
    } catch {
      continue; // removed meanwhile, or now in use: skip, as dockerd does on a conflict
    }
    for (const it of items) opts.onDeleted?.(it, rec.id);
    deleted.push(...items);
    const parent = rec.parent ? await stores.images.find(rec.parent) : null;
    if (parent && !stores.images.childrenOf(parent.id).length) work.push(parent);
  }
  const inUse: InUse = { ...opts.inUse, images: [...used, ...(opts.inUse?.images ?? [])] };
  const res = await gc(stores, inUse);
  for (const c of res.deletedSnapshots) deleted.push({ Deleted: c });
  return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: res.spaceReclaimed };
}

async function matches(stores: ImageStores, rec: ImageRecord, f: ImageFilter): Promise<boolean> {
  if (f.until.length) {
    const created = createdNano(rec.created);
    if (f.until.some((u) => created >= u)) return false;
  }
  if (f.labels.length || f.notLabels.length) {
    const labels = (await stores.images.labels(rec)) ?? {};
    if (!f.labels.every((l) => labelMatches(l, labels))) return false;
    if (f.notLabels.some((l) => labelMatches(l, labels))) return false;
  }
  return true;
}
