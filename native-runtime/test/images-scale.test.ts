// Issue #16 item 14: a long build chain (each step an untagged image whose parent is the step before)
// must list, prune and builder-prune correctly. Before the store was indexed, each of these scanned every
// record file per image (n² reads). Correctness only: timing belongs to bench/build-cache.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BuildCache } from '../src/builder/executor/cache.js';
import { pruneBuildCache } from '../src/builder/executor/prune.js';
import { normalizeContainerConfig, openImageStores, type ImageRecord, type ImageStores } from '../src/images/index.js';
import { pruneImages } from '../src/images/prune.js';
import { ImageStore } from '../src/images/store.js';
import { unpackImage } from '../src/snapshots/unpack.js';
import { flushTrash } from '../src/util/trash.js';
import { makeTar, tmpRoot } from './layers-helpers.js';

const N = 1000;

/** One ENV step on top of `parent`, as the classic builder records it (no layer, empty_layer history). */
async function step(s: ImageStores, parent: ImageRecord | null, i: number): Promise<ImageRecord> {
  const created = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  return s.images.create({
    config: {
      architecture: 'amd64',
      os: 'linux',
      created,
      config: normalizeContainerConfig({ Env: [`V${i}=${i}`], Labels: { step: String(i) } }),
      rootfs: { type: 'layers', diff_ids: [] },
      history: [{ created, created_by: `/bin/sh -c #(nop)  ENV V${i}=${i}`, empty_layer: true }],
    },
    layers: [],
    ...(parent ? { parent: parent.id } : {}),
  });
}

test(`a ${N}-image build chain: list, builder prune and image prune are right`, async (t) => {
  const root = await tmpRoot(t);
  const s = await openImageStores(root);
  const chain: ImageRecord[] = [];
  for (let i = 0; i < N; i++) chain.push(await step(s, chain.at(-1) ?? null, i));
  const mid = chain[N / 2 - 1]!;
  await s.images.tag(mid.id, 'mid:1');

  // docker images: the tagged one only (untagged images with children are intermediates); -a lists all.
  const top = await s.images.listImages();
  assert.deepEqual(top.map((x) => x.RepoTags), [['<none>:<none>'], ['mid:1']]);
  const leaf = top.find((x) => x.Id === chain[N - 1]!.id)!;
  assert.deepEqual(leaf.Labels, { step: String(N - 1) });
  assert.equal(leaf.ParentId, chain[N - 2]!.id);
  const all = await s.images.listImages({ all: true });
  assert.equal(all.length, N);
  assert.equal(all[0]!.Id, chain[N - 1]!.id, 'newest first');

  // A second store on the same root (a read-only instance) sees the writer's changes.
  const reader = await ImageStore.open(`${root}/images`, s.content);
  assert.equal((await reader.listImages({ all: true })).length, N);
  await s.images.tag(chain[0]!.id, 'first:1');
  assert.deepEqual((await reader.inspect('first:1')).Id, chain[0]!.id);

  // builder prune: everything the cache holds except the tagged image and its ancestors.
  const cache = BuildCache.forRoot(root);
  for (const r of chain) await cache.set(`key-${r.id}`, r.id);
  await cache.flush();
  const report = await pruneBuildCache(s, cache, { root, containerImages: [] });
  assert.equal(report.CachesDeleted.length, N / 2);
  const left = await s.images.records();
  assert.equal(left.length, N / 2);
  const firstHalf = new Set(chain.slice(0, N / 2).map((r) => r.id));
  assert.ok(left.every((r) => firstHalf.has(r.id)), 'the tagged image and its ancestors are kept');
  assert.equal((await cache.images()).size, N / 2);
  assert.equal(await s.content.has(chain[N - 1]!.id), false, "a pruned image's config blob is deleted");
  assert.equal(await s.content.has(chain[N - 1]!.manifestDigest), false);
  assert.equal(await s.content.has(chain[0]!.id), true, "a kept image's config blob stays");
  assert.equal((await reader.records()).length, N / 2);

  // image prune (dangling): once untagged, the chain goes leaf by leaf; the image tagged first:1 stays with nothing under it.
  await s.images.untag('mid:1');
  const pruned = await pruneImages(s, { inUseImages: [] });
  assert.equal(pruned.ImagesDeleted?.filter((d) => 'Deleted' in d).length, N / 2 - 1);
  assert.deepEqual((await s.images.records()).map((r) => r.id), [chain[0]!.id]);
  assert.deepEqual((await s.images.listImages()).map((x) => x.RepoTags), [['first:1']]);
});

/** A step on top of `parent` that adds `layer` (a RUN) or nothing (an ENV), with the parent's layers below. */
async function layeredStep(s: ImageStores, parent: ImageRecord | null, i: number, layer: { digest: string; size: number } | null): Promise<ImageRecord> {
  const created = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  const layers = [...(parent?.layers ?? []), ...(layer ? [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar', digest: layer.digest, size: layer.size }] : [])];
  return s.images.create({
    config: {
      architecture: 'amd64',
      os: 'linux',
      created,
      config: normalizeContainerConfig({ Env: [`V${i}=${i}`] }),
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      history: [{ created, created_by: layer ? `/bin/sh -c step${i}` : `/bin/sh -c #(nop)  ENV V${i}=${i}`, ...(layer ? {} : { empty_layer: true }) }],
    },
    layers,
    layerSizes: layers.map(() => 1),
    ...(parent ? { parent: parent.id } : {}),
  });
}

test('a build chain with layers: the index holds each layer list once; builder prune removes the snapshots through the trash', async (t) => {
  const root = await tmpRoot(t);
  const s = await openImageStores(root);
  // Three layers (uncompressed tars: the diff ID is the blob digest), ten ENV steps over each.
  const blobs = [];
  for (let k = 0; k < 3; k++) blobs.push(await s.content.ingest(`layer-${k}`, await makeTar([{ name: `f${k}`, body: `layer ${k}` }])));
  const chain: ImageRecord[] = [];
  for (let k = 0; k < 3; k++) {
    chain.push(await layeredStep(s, chain.at(-1) ?? null, chain.length, blobs[k]!));
    for (let j = 0; j < 10; j++) chain.push(await layeredStep(s, chain.at(-1)!, chain.length, null));
  }
  const top = chain.at(-1)!;
  await unpackImage(s.snapshots, s.content, top.layers.map((l, i) => ({ digest: l.digest, diffId: top.diffIds[i]! })));
  assert.equal((await s.snapshots.list()).filter((x) => x.kind === 'committed').length, 3);

  // Interned: the ten ENV images over a layer share its lists (before, each record had its own copies
  // and its own chain IDs, so a 10,000-step build's index grew with steps × layers).
  const recs = new Map((await s.images.records()).map((r) => [r.id, r]));
  const [a, b] = [recs.get(chain[12]!.id)!, recs.get(chain[20]!.id)!];
  assert.equal(a.diffIds, b.diffIds);
  assert.equal(a.layers, b.layers);
  assert.equal(a.layerSizes, b.layerSizes);
  assert.notEqual(a.diffIds, recs.get(chain[5]!.id)!.diffIds);
  assert.equal(a.diffIds.length, 2);

  // An image tagged now is skipped by the batch removal.
  await s.images.tag(chain[3]!.id, 'keep:1');
  const removed = await s.images.removeUntagged([chain[5]!.id, chain[3]!.id, 'sha256:' + '0'.repeat(64)]);
  assert.deepEqual(removed.map((r) => r.id), [chain[5]!.id]);
  assert.equal(await s.images.find(chain[5]!.id), null);
  assert.equal(fs.existsSync(path.join(root, 'images', 'meta', chain[5]!.id.slice(7) + '.json')), false);
  await s.images.untag('keep:1');

  // builder prune of the whole chain: records, blobs and every snapshot, the snapshot dirs via the trash.
  const dirs = await Promise.all((await s.snapshots.list()).map((x) => s.snapshots.dirPath(x.key)));
  const cache = BuildCache.forRoot(root);
  for (const r of chain) await cache.set(`key-${r.id}`, r.id);
  const report = await pruneBuildCache(s, cache, { root, containerImages: [] });
  assert.equal(report.CachesDeleted.length, chain.length - 1);
  assert.equal((await s.images.records()).length, 0);
  assert.deepEqual(await s.snapshots.list(), []);
  for (const d of dirs) assert.equal(fs.existsSync(d), false, `${d} is gone at once`);
  await flushTrash();
  assert.deepEqual(fs.readdirSync(path.join(path.dirname(dirs[0]!), 'trash')), [], 'and the trash is emptied');
  for (const bl of blobs) assert.equal(await s.content.has(bl.digest), false);
  assert.ok(report.SpaceReclaimed > 0);
});
