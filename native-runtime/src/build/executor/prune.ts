// Build cache prune (`docker builder prune`): deletes the cache's intermediate images that no tagged
// image, container or running build needs, with their blobs and snapshots; then stale build
// workspaces. Space is measured as blob bytes plus unpacked snapshot bytes before and after.
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

async function spaceUsed(stores: ImageStores): Promise<number> {
  let n = 0;
  for (const b of await stores.content.list()) n += b.size;
  for (const s of await stores.snapshots.list()) {
    if (s.kind === 'committed') n += (await stores.snapshots.usage(s.key).catch(() => ({ size: 0 }))).size;
  }
  return n;
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
  const depth = (r: ImageRecord): number => {
    let n = 0;
    for (let p = r.parent; p; p = byId.get(p)?.parent) n++;
    return n;
  };
  const doomed = records.filter((r) => cached.has(r.id) && !keep.has(r.id)).sort((a, b) => depth(b) - depth(a));

  const before = await spaceUsed(stores);
  const deleted: string[] = [];
  for (const r of doomed) {
    try {
      await stores.images.remove(r.id, { force: true });
      deleted.push(r.id);
    } catch {
      /* in use meanwhile: kept */
    }
  }
  if (buildsRunning.length === 0) {
    const inUse = new Set<string>();
    for (const l of activeLeases(stores)) l.snapshots.forEach((s) => inUse.add(s));
    await cleanupStaleWorkspaces(stores, path.join(opts.root, 'build', 'mnt'), inUse);
  }
  const remaining = new Set((await stores.images.records()).map((r) => r.id));
  await cache.retain((id) => remaining.has(id));
  const after = await spaceUsed(stores);
  return { CachesDeleted: deleted, SpaceReclaimed: Math.max(0, before - after) };
}
