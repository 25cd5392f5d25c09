import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { FsContentStore } from '../src/content/index.js';
import { writeLayer } from '../src/layers/index.js';
import {
  chainId,
  chainIds,
  cleanupExtractions,
  OverlaySnapshotter,
  SnapshotError,
  unpackImage,
} from '../src/snapshots/index.js';
import { makeTar, tmpRoot, type TarEntry } from './layers-helpers.js';
import { needsNative as needsNativeAddon } from './support/native.ts';

const needsNative = needsNativeAddon();

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

async function layer(store: FsContentStore, entries: TarEntry[]): Promise<{ digest: string; diffId: string }> {
  const w = await writeLayer(once(await makeTar(entries)), store);
  return { digest: w.digest, diffId: w.diffId };
}

async function open(root: string): Promise<{ store: FsContentStore; snaps: OverlaySnapshotter }> {
  return {
    store: await FsContentStore.open(path.join(root, 'content')),
    snaps: await OverlaySnapshotter.open(path.join(root, 'snapshots')),
  };
}

test('chain IDs follow the OCI definition', () => {
  const a = 'sha256:' + 'a'.repeat(64);
  const b = 'sha256:' + 'b'.repeat(64);
  assert.equal(chainId(undefined, a), a);
  const ab = chainId(a, b);
  assert.match(ab, /^sha256:[a-f0-9]{64}$/);
  assert.deepEqual(chainIds([a, b]), [a, ab]);
});

test('prepare, commit, view, mounts, usage, stat, list, remove; metadata survives reopen', async (t) => {
  const root = await tmpRoot(t);
  const { snaps } = await open(root);
  const m = await snaps.prepare('base-active');
  assert.deepEqual(m.lower, []);
  assert.ok(m.upper && m.work);
  await fsp.writeFile(path.join(m.upper!, 'f'), '12345');
  await snaps.commit('base', 'base-active');
  await assert.rejects(snaps.stat('base-active'), (e: unknown) => e instanceof SnapshotError && e.code === 'NOT_FOUND');
  assert.equal((await snaps.stat('base')).kind, 'committed');
  assert.deepEqual(await snaps.usage('base'), { size: 5, inodes: 1 });

  const c = await snaps.prepare('ctr', 'base');
  assert.equal(c.lower.length, 1);
  assert.match(c.lower[0]!, /^l\/[A-Z2-7]{26}$/);
  assert.equal(await fsp.readFile(path.join(c.cwd, c.lower[0]!, 'f'), 'utf8'), '12345', 'link resolves to the layer');
  const v = await snaps.view('v', 'base');
  assert.deepEqual(v.lower, c.lower);
  assert.equal(v.readonly, true);
  await assert.rejects(snaps.prepare('ctr', 'base'), (e: unknown) => e instanceof SnapshotError && e.code === 'ALREADY_EXISTS');
  await assert.rejects(snaps.remove('base'), (e: unknown) => e instanceof SnapshotError && e.code === 'FAILED_PRECONDITION');

  const again = await OverlaySnapshotter.open(path.join(root, 'snapshots'));
  assert.deepEqual((await again.list()).map((s) => `${s.key}:${s.kind}`).sort(), ['base:committed', 'ctr:active', 'v:view']);
  await again.remove('ctr');
  await again.remove('v');
  await again.remove('base');
  assert.deepEqual(await again.list(), []);
  assert.deepEqual(await fsp.readdir(path.join(root, 'snapshots/l')), []);
  assert.deepEqual((await fsp.readdir(path.join(root, 'snapshots'))).sort(), ['l', 'meta.json']);
});

test('images that share a base layer share its committed snapshot', async (t) => {
  const root = await tmpRoot(t);
  const { store, snaps } = await open(root);
  const base = await layer(store, [{ name: 'base', body: 'b' }]);
  const x = await layer(store, [{ name: 'x', body: 'x' }]);
  const y = await layer(store, [{ name: 'y', body: 'y' }]);
  const seen: string[] = [];
  const r1 = await unpackImage(snaps, store, [base, x]);
  const r2 = await unpackImage(snaps, store, [base, y], { onLayer: (_i, _c, s) => seen.push(s) });
  assert.deepEqual(seen, ['exists', 'extracting', 'done']);
  assert.equal(r1.chainIds[0], r2.chainIds[0]);
  assert.equal(r1.chainIds[0], base.diffId);
  const committed = (await snaps.list()).filter((s) => s.kind === 'committed');
  assert.equal(committed.length, 3);
  assert.equal(committed.filter((s) => s.key === base.diffId).length, 1);
  assert.deepEqual(r1.sizes, [1, 1]);
  // x and y sit on the same base directory
  const mx = await snaps.mounts(r1.chainIds[1]!);
  const my = await snaps.mounts(r2.chainIds[1]!);
  assert.equal(mx.lower[1], my.lower[1]);
});

test('an interrupted or failed unpack leaves no committed snapshot; leftovers are cleaned', async (t) => {
  const root = await tmpRoot(t);
  const { store, snaps } = await open(root);
  const good = await layer(store, [{ name: 'ok', body: 'ok' }]);
  const bad = await layer(store, [{ name: '../escape', body: 'no' }]);
  await assert.rejects(unpackImage(snaps, store, [good, bad]), /\.\./);
  const list = await snaps.list();
  assert.deepEqual(list.map((s) => s.key), [good.diffId], 'only the complete layer is committed; the failed active is gone');
  // a wrong diffID (config lies about the layer) is refused too
  const other = await layer(store, [{ name: 'z', body: 'z' }]);
  await assert.rejects(unpackImage(snaps, store, [{ digest: other.digest, diffId: 'sha256:' + '0'.repeat(64) }]), /diffID/);
  // a crash mid-extraction = an active extract- snapshot with partial files, plus an orphan dir
  const m = await snaps.prepare('extract-deadbeef sha256:x', good.diffId);
  await fsp.writeFile(path.join(m.upper!, 'partial'), 'half');
  await fsp.mkdir(path.join(root, 'snapshots', 'f'.repeat(64)));
  const reopened = await OverlaySnapshotter.open(path.join(root, 'snapshots'));
  assert.equal(await cleanupExtractions(reopened), 1);
  assert.deepEqual(await reopened.cleanup(), { dirs: 1, links: 0 });
  assert.deepEqual((await reopened.list()).map((s) => s.key), [good.diffId]);
});

test('a 150-layer chain mounts (short l/ links keep the options small)', needsNative, async (t) => {
  const native = await import('../src/native/index.js');
  const root = await tmpRoot(t);
  const { store, snaps } = await open(root);
  const layers = [];
  for (let i = 0; i < 150; i++) layers.push(await layer(store, [{ name: `f${i}`, body: String(i) }]));
  const { chainIds: ids } = await unpackImage(snaps, store, layers);
  const m = await snaps.prepare('ctr', ids[ids.length - 1]!);
  assert.equal(m.lower.length, 150);
  assert.equal(m.lower.every((l) => l.length === 28), true);
  const target = path.join(root, 'merged');
  await fsp.mkdir(target);
  native.mountOverlay({ ...m, target });
  try {
    const names = await fsp.readdir(target);
    assert.equal(names.length, 150);
    assert.equal(await fsp.readFile(path.join(target, 'f0'), 'utf8'), '0');
    assert.equal(await fsp.readFile(path.join(target, 'f149'), 'utf8'), '149');
    await fsp.writeFile(path.join(target, 'new'), 'n');
  } finally {
    native.umount(target, 0);
  }
  assert.equal(await fsp.readFile(path.join(m.upper!, 'new'), 'utf8'), 'n', 'writes land in the upper dir');
});
