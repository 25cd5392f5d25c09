// gc: deletes blobs and committed snapshots nothing needs. Kept: everything an image record names (config,
// manifest, layer blobs, the chain of snapshots), everything in the caller's `inUse` sets (containers'
// images and snapshots, running builds), everything held by a lease (pulls, pushes, loads, saves in
// flight), and every ancestor of a kept or active snapshot. Leases are re-read just before each deletion.
import type { ImageStores } from '../images/open.js';
import { pruneSources } from '../registry/sources.js';
import { chainIds } from '../snapshots/chain.js';
import { activeLeases } from './lease.js';

export interface InUse {
  /** Image IDs in use (by containers, builds); kept even if their record is being removed concurrently. */
  images?: Iterable<string>;
  /** Snapshot keys in use (containers' active snapshots and the chains under them, build steps). */
  snapshots?: Iterable<string>;
  /** Blob digests in use (build cache, uploads in progress elsewhere). */
  blobs?: Iterable<string>;
}

export interface GcResult {
  deletedBlobs: string[];
  deletedSnapshots: string[];
  /** Bytes freed: blob sizes plus the unpacked size of removed snapshots. */
  spaceReclaimed: number;
}

export async function gc(stores: ImageStores, inUse: InUse = {}): Promise<GcResult> {
  const keepBlobs = new Set<string>(inUse.blobs ?? []);
  const keepSnaps = new Set<string>(inUse.snapshots ?? []);
  const keepImages = new Set<string>(inUse.images ?? []);
  const leased = (): { blobs: Set<string>; snaps: Set<string>; images: Set<string> } => {
    const b = new Set<string>();
    const s = new Set<string>();
    const i = new Set<string>();
    for (const l of activeLeases(stores)) {
      l.blobs.forEach((x) => b.add(x));
      l.snapshots.forEach((x) => s.add(x));
      l.images.forEach((x) => i.add(x));
    }
    return { blobs: b, snaps: s, images: i };
  };
  for (const id of leased().images) keepImages.add(id);

  for (const r of await stores.images.records()) {
    keepBlobs.add(r.id).add(r.manifestDigest);
    for (const l of r.layers) keepBlobs.add(l.digest);
    for (const c of chainIds(r.diffIds)) keepSnaps.add(c);
  }
  // Images in use whose record is gone still keep their blobs if present.
  for (const id of keepImages) keepBlobs.add(id);

  const out: GcResult = { deletedBlobs: [], deletedSnapshots: [], spaceReclaimed: 0 };

  // Snapshots: only committed ones are ours to collect; active/view belong to containers and unpacks.
  const snaps = await stores.snapshots.list();
  const byKey = new Map(snaps.map((s) => [s.key, s]));
  const keepAll = new Set<string>();
  const keepWithAncestors = (key: string): void => {
    let k: string | undefined = key;
    while (k !== undefined && !keepAll.has(k)) {
      keepAll.add(k);
      k = byKey.get(k)?.parent;
    }
  };
  for (const s of snaps) if (s.kind !== 'committed' || keepSnaps.has(s.key)) keepWithAncestors(s.key);
  for (const l of leased().snaps) keepWithAncestors(l);
  let candidates = snaps.filter((s) => s.kind === 'committed' && !keepAll.has(s.key)).map((s) => s.key);
  for (let progress = true; progress && candidates.length; ) {
    progress = false;
    const live = await stores.snapshots.list();
    const parents = new Set(live.map((s) => s.parent).filter((p): p is string => p !== undefined));
    const nowLeased = leased().snaps;
    const rest: string[] = [];
    for (const key of candidates) {
      if (parents.has(key)) {
        rest.push(key);
        continue;
      }
      if (nowLeased.has(key)) continue;
      let size = 0;
      try {
        size = (await stores.snapshots.usage(key)).size;
        await stores.snapshots.remove(key);
      } catch {
        continue; // someone started using it: keep
      }
      out.deletedSnapshots.push(key);
      out.spaceReclaimed += size;
      progress = true;
    }
    candidates = rest;
  }

  // Blobs.
  for (const b of await stores.content.list()) {
    if (keepBlobs.has(b.digest)) continue;
    if (leased().blobs.has(b.digest)) continue;
    if (await stores.content.delete(b.digest)) {
      out.deletedBlobs.push(b.digest);
      out.spaceReclaimed += b.size;
    }
  }
  if (out.deletedBlobs.length) {
    const gone = new Set(out.deletedBlobs);
    await pruneSources(stores.images.root, (d) => !gone.has(d));
  }
  return out;
}
