// `docker system df` for images: per image Size (all its layers), SharedSize (the part of it other
// images also use: layers whose chain ID more than one image has) and Containers (how many use it), and
// LayersSize, the unpacked layers on disk counted once each.
import type { ImageSummary } from './docker-shapes.js';
import type { ImageStores } from './open.js';
import { chainIds } from '../snapshots/chain.js';

export interface ImagesDiskUsage {
  LayersSize: number;
  Images: ImageSummary[];
}

export async function imagesDiskUsage(stores: ImageStores, containerImageIds: Iterable<string>): Promise<ImagesDiskUsage> {
  const users = new Map<string, number>();
  for (const id of containerImageIds) users.set(id, (users.get(id) ?? 0) + 1);
  const records = await stores.images.records();
  const chainUsers = new Map<string, number>();
  const chainsOf = new Map<string, string[]>();
  for (const r of records) {
    const chains = chainIds(r.diffIds);
    chainsOf.set(r.id, chains);
    for (const c of new Set(chains)) chainUsers.set(c, (chainUsers.get(c) ?? 0) + 1);
  }
  const byId = new Map(records.map((r) => [r.id, r]));
  const images = await stores.images.listImages({ all: true });
  for (const img of images) {
    const rec = byId.get(img.Id);
    const chains = chainsOf.get(img.Id) ?? [];
    img.Containers = users.get(img.Id) ?? 0;
    img.SharedSize = rec ? chains.reduce((n, c, i) => n + ((chainUsers.get(c) ?? 0) > 1 ? (rec.layerSizes[i] ?? 0) : 0), 0) : 0;
  }
  let layersSize = 0;
  for (const s of await stores.snapshots.list()) {
    if (s.kind !== 'committed') continue;
    layersSize += await stores.snapshots.usage(s.key).then((u) => u.size, () => 0);
  }
  return { LayersSize: layersSize, Images: images };
}
