// Build cache prune (`docker builder prune`): deletes the cache's intermediate images that no tagged
// image, container or running build needs, with their blobs and snapshots; then stale build
// workspaces. Space reclaimed is the bytes of the blobs and unpacked snapshots deleted.
import path from 'node:path';
import { activeLeases } from '../../archive/lease.js';
import type { ImageStores } from '../../images/open.js';
import type { ImageRecord } from '../../images/store.js';
import type { BuildCache } from './cache.js';
import { cleanupStaleWorkspaces } from './workspace.js';

export interface BuildCachePruneReport {
  CachesDeleted: string[];
  SpaceReclaimed: number;
}

/** Bytes of every blob and of every committed snapshot (its own files), read once before a prune. */
async function sizes(stores: ImageStores): Promise<{ blobs: Map<string, number>; snapshots: Map<string, number> }> {
  const blobs = new Map((await stores.content.list()).map((b) => [b.digest, b.size]));
  const snapshots = new Map<string, number>();
  for (const s of await stores.snapshots.list()) {
    if (s.kind === 'committed') snapshots.set(s.key, (await stores.snapshots.usage(s.key).catch(() => ({ size: 0 }))).size);
  }
  return { blobs, snapshots };
}

export async function pruneBuildCache(
  stores: ImageStores,
  cache: BuildCache,
  opts: { root: string; containerImages: Iterable<string> },
): Promise<BuildCachePruneReport> {
  const records = await stores.images.records();
  const byId = new Map(records.map((r) => [r.id, r]));
  const keep = new Set<string>();
  const keepWithAncestors = (id: string | undefined): void => {
    while (id && !keep.has(id)) {
      keep.add(id);
      id = byId.get(id)?.parent;
    }
  };
  for (const r of records) if ((await stores.images.references(r.id)).length) keepWithAncestors(r.id);
  for (const id of opts.containerImages) keepWithAncestors(id);
  const buildsRunning = activeLeases(stores).filter((l) => l.label === 'build');
  for (const l of activeLeases(stores)) for (const id of l.images) keepWithAncestors(id);

  const cached = await cache.images();
  // Memoised: a walk to the root per image is quadratic on a 10,000-step build's chain (issue #16).
  const depths = new Map<string, number>();
  const depth = (r: ImageRecord): number => {
    const walk: string[] = [];
    let n = 0;
    for (let p: string | undefined = r.id; p; p = byId.get(p)?.parent) {
      const known = depths.get(p);
      if (known !== undefined) {
        n = known + 1;
        break;
      }
      walk.push(p);
    }
    for (const id of walk.reverse()) depths.set(id, n++);
    return depths.get(r.id)!;
  };
  const doomed = records.filter((r) => cached.has(r.id) && !keep.has(r.id)).sort((a, b) => depth(b) - depth(a));

  const before = await sizes(stores);
  // Records in batches (the store yields between them), then blobs and snapshots in one pass: per image
  // it cost several round trips and a synchronous unlink (issue #16).
  const gone = await stores.images.removeUntagged(doomed.map((r) => r.id));
  const deleted = gone.map((r) => r.id);
  // Space reclaimed: the bytes of what was deleted, not a second stat of every blob left.
  const deletedBlobs: string[] = [];
  const deletedSnapshots = await stores.images.collect(gone, deletedBlobs);
  let reclaimed = 0;
  for (const d of deletedBlobs) reclaimed += before.blobs.get(d) ?? 0;
  for (const c of deletedSnapshots) reclaimed += before.snapshots.get(c) ?? 0;
  if (buildsRunning.length === 0) {
    const inUse = new Set<string>();
    for (const l of activeLeases(stores)) l.snapshots.forEach((s) => inUse.add(s));
    await cleanupStaleWorkspaces(stores, path.join(opts.root, 'build', 'mnt'), inUse);
  }
  const remaining = new Set((await stores.images.records()).map((r) => r.id));
  await cache.retain((id) => remaining.has(id));
  return { CachesDeleted: deleted, SpaceReclaimed: reclaimed };
}
