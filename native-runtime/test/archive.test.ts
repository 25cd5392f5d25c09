// docker save/load (Docker 25 layout: docker-archive + OCI layout in one tar), export, and gc.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { test } from 'node:test';
import { openImageStores } from '../src/images/open.js';
import { hostArchitecture, normalizeContainerConfig } from '../src/images/types.js';
import { chainIds } from '../src/snapshots/chain.js';
import { buildBusyboxImage } from '../src/starter/busybox.js';
import { save } from '../src/archive/save.js';
import { load } from '../src/archive/load.js';
import { exportContainerFs } from '../src/archive/export.js';
import { gc } from '../src/archive/gc.js';
import { acquireLease } from '../src/archive/lease.js';
import { sha256Digest } from '../src/util/ids.js';
import type { ProgressMessage } from '../src/registry/progress.js';
import { makeTar, readTar, tmpRoot } from './layers-helpers.js';
import { makeMultiLayerImage } from './support/images.js';

async function collect(r: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

test('save writes docker-archive + OCI layout; load into a fresh root gives the same IDs and tags', async (t) => {
  const src = await openImageStores(await tmpRoot(t));
  const bb = await buildBusyboxImage(src);
  const multi = await makeMultiLayerImage(src, 'example.com/team/multi:v1');
  await src.images.tag(multi, 'multi:latest');
  const tarBuf = await collect(await save(src, ['busybox:latest', 'example.com/team/multi:v1', 'multi']));
  const entries = await readTar(Readable.from([tarBuf]));
  const byName = new Map(entries.map((e) => [e.name, e]));
  for (const n of ['manifest.json', 'index.json', 'oci-layout', 'repositories', 'blobs/sha256/']) assert.ok(byName.has(n), n);
  const mf = JSON.parse(byName.get('manifest.json')!.body.toString()) as Array<{ Config: string; RepoTags: string[]; Layers: string[] }>;
  assert.equal(mf.length, 2);
  const bbEntry = mf.find((m) => m.Config === `blobs/sha256/${bb.id.slice(7)}`)!;
  assert.deepEqual(bbEntry.RepoTags, ['busybox:latest']);
  const mEntry = mf.find((m) => m.Config === `blobs/sha256/${multi.slice(7)}`)!;
  assert.deepEqual(mEntry.RepoTags.sort(), ['example.com/team/multi:v1', 'multi:latest']);
  assert.equal(mEntry.Layers.length, 3);
  for (const l of [...bbEntry.Layers, ...mEntry.Layers]) {
    const e = byName.get(l)!;
    assert.ok(e, l);
    assert.equal(sha256Digest(e.body), 'sha256:' + path.basename(l), 'blob names are their digests');
  }
  // Each blob once.
  const blobNames = entries.filter((e) => e.name.startsWith('blobs/sha256/') && e.type === 'file').map((e) => e.name);
  assert.equal(new Set(blobNames).size, blobNames.length);
  const index = JSON.parse(byName.get('index.json')!.body.toString()) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
  const names = index.manifests.map((m) => m.annotations?.['io.containerd.image.name']).sort();
  assert.deepEqual(names, ['docker.io/library/busybox:latest', 'docker.io/library/multi:latest', 'example.com/team/multi:v1']);
  assert.ok(index.manifests.every((m) => m.annotations?.['org.opencontainers.image.ref.name'] && byName.has(`blobs/sha256/${m.digest.slice(7)}`)));
  assert.deepEqual(JSON.parse(byName.get('oci-layout')!.body.toString()), { imageLayoutVersion: '1.0.0' });

  const dst = await openImageStores(await tmpRoot(t));
  const msgs: ProgressMessage[] = [];
  const res = await load(dst, Readable.from([tarBuf]), { onProgress: (m) => msgs.push(m) });
  assert.deepEqual(res.images.map((i) => i.id).sort(), [bb.id, multi].sort());
  assert.ok(msgs.some((m) => m.stream === 'Loaded image: busybox:latest\n'));
  assert.deepEqual((await dst.images.inspect('busybox')).RepoTags, ['busybox:latest']);
  assert.equal((await dst.images.get('example.com/team/multi:v1')).id, multi);
  assert.equal((await dst.images.get(bb.id)).manifestDigest, (await src.images.get(bb.id)).manifestDigest);
  const chains = chainIds((await dst.images.get(multi)).diffIds);
  assert.equal(await fsp.readFile(path.join(await dst.snapshots.fsPath(chains[1]!), 'layer1/file.txt'), 'utf8'), 'layer 1 of x\n');
  // No stray blobs (the archive's OCI manifests are not kept).
  const kept = (await dst.content.list()).map((b) => b.digest);
  const srcBlobs = (await src.content.list()).map((b) => b.digest);
  assert.ok(kept.every((d) => srcBlobs.includes(d)));

  // Saving by ID: no tags.
  const byId = await readTar(await save(src, [bb.id]));
  const mf2 = JSON.parse(byId.find((e) => e.name === 'manifest.json')!.body.toString()) as Array<{ RepoTags: unknown }>;
  assert.equal(mf2[0]!.RepoTags, null);
  await assert.rejects(save(src, ['nosuch:image']), (e: Error & { statusCode?: number }) => e.statusCode === 404);
});

test('load refuses entries that escape the archive, and stores nothing', async (t) => {
  const dst = await openImageStores(await tmpRoot(t));
  const evil = await makeTar([
    { name: 'blobs/sha256/', type: 'directory' },
    { name: 'big-file', body: Buffer.alloc(20000, 1) },
    { name: '../escape.json', body: '{}' },
    { name: 'manifest.json', body: '[]' },
  ]);
  await assert.rejects(load(dst, Readable.from([evil])), (e: Error & { statusCode?: number }) => {
    assert.equal(e.statusCode, 400);
    assert.match(e.message, /escapes the archive/);
    return true;
  });
  assert.deepEqual(await dst.content.list(), []);
  const link = await makeTar([{ name: 'x/layer.tar', type: 'symlink', linkname: '../../etc/passwd' }]);
  await assert.rejects(load(dst, Readable.from([link])), /points outside the archive/);
  const bad = await makeTar([{ name: 'blobs/sha256/' + '0'.repeat(64), body: 'not that' }]);
  await assert.rejects(load(dst, Readable.from([bad])), /does not match its digest/);
  assert.deepEqual(await dst.content.list(), []);
});

test('load accepts the pre-25 docker-archive layout (<id>/layer.tar, symlinked duplicate layers, gzip too)', async (t) => {
  const layerA = await makeTar([{ name: 'a.txt', body: 'A\n' }]);
  const layerB = await makeTar([{ name: 'b.txt', body: 'B\n' }]);
  const gzB = await collect(Readable.from([layerB]).pipe(createGzip()));
  const created = '2020-01-01T00:00:00Z';
  const cfg = Buffer.from(JSON.stringify({
    architecture: hostArchitecture(), os: 'linux', created,
    config: normalizeContainerConfig({ Cmd: ['/a'] }),
    rootfs: { type: 'layers', diff_ids: [sha256Digest(layerA), sha256Digest(layerB), sha256Digest(layerA)] },
    history: [{ created }, { created }, { created }],
  }, null, 3)); // not Berth's canonical JSON: the ID must still be the digest of these bytes
  const id = sha256Digest(cfg);
  const tarBuf = await makeTar([
    { name: 'aaaa/', type: 'directory' },
    { name: 'aaaa/layer.tar', body: layerA },
    { name: 'bbbb/layer.tar', body: gzB },
    { name: 'cccc/layer.tar', type: 'symlink', linkname: '../aaaa/layer.tar' },
    { name: `${id.slice(7)}.json`, body: cfg },
    { name: 'manifest.json', body: JSON.stringify([{ Config: `${id.slice(7)}.json`, RepoTags: ['old/style:1'], Layers: ['aaaa/layer.tar', 'bbbb/layer.tar', 'cccc/layer.tar'] }]) },
    { name: 'repositories', body: '{}' },
  ]);
  const dst = await openImageStores(await tmpRoot(t));
  const msgs: ProgressMessage[] = [];
  const r = await load(dst, Readable.from([tarBuf]), { onProgress: (m) => msgs.push(m) });
  assert.deepEqual(r.images, [{ id, tags: ['old/style:1'] }]);
  assert.deepEqual(msgs, [{ stream: 'Loaded image: old/style:1\n' }]);
  const rec = await dst.images.get('old/style:1');
  assert.equal(rec.id, id);
  assert.equal((await dst.images.inspect('old/style:1')).Id, id);
  const top = await dst.snapshots.fsPath(chainIds(rec.diffIds)[2]!);
  assert.equal(await fsp.readFile(path.join(top, 'a.txt'), 'utf8'), 'A\n');
  // The whole thing survives a save/load into yet another root with the same ID.
  const again = await openImageStores(await tmpRoot(t));
  const r2 = await load(again, await save(dst, ['old/style:1']));
  assert.equal(r2.images[0]!.id, id);
});

test('exportContainerFs streams a flattened tar of a directory', async (t) => {
  const dir = await tmpRoot(t);
  await fsp.mkdir(path.join(dir, 'etc'));
  await fsp.writeFile(path.join(dir, 'etc/hosts'), '127.0.0.1 localhost\n');
  await fsp.symlink('hosts', path.join(dir, 'etc/alias'));
  await fsp.link(path.join(dir, 'etc/hosts'), path.join(dir, 'etc/hard'));
  const entries = await readTar(exportContainerFs(dir));
  const m = new Map(entries.map((e) => [e.name, e]));
  // Byte order: etc/hard comes first and carries the data; etc/hosts is a hardlink to it.
  assert.equal(m.get('etc/hard')!.body.toString(), '127.0.0.1 localhost\n');
  assert.equal(m.get('etc/hosts')!.type, 'link');
  assert.equal(m.get('etc/hosts')!.linkname, 'etc/hard');
  assert.equal(m.get('etc/alias')!.linkname, 'hosts');
  assert.ok(m.get('etc/')?.type === 'directory');
});

test('gc removes only what nothing references; in-use sets and leases protect', async (t) => {
  const s = await openImageStores(await tmpRoot(t));
  const bb = await buildBusyboxImage(s);
  const multi = await makeMultiLayerImage(s, 'multi:1');
  const multiRec = await s.images.get(multi);
  const mchains = chainIds(multiRec.diffIds);
  // Unpack multi so it has snapshots, then forget the image record (as if removed by a crash-free untag path).
  const { unpackImage } = await import('../src/snapshots/unpack.js');
  await unpackImage(s.snapshots, s.content, multiRec.layers.map((l, i) => ({ digest: l.digest, diffId: multiRec.diffIds[i]! })));
  const stray = await s.content.ingest('stray', 'stray bytes');
  const r0 = await gc(s);
  assert.deepEqual(r0.deletedBlobs, [stray.digest]);
  assert.deepEqual(r0.deletedSnapshots, []);

  // Forget the record without collecting (the store indexes records in memory, so not behind its back).
  await s.images.untag('multi:1');
  assert.equal((await s.images.removeUntagged([multi])).length, 1);
  // A lease on one layer blob, an in-use snapshot for the bottom chain.
  const lease = acquireLease(s, 'test');
  lease.addBlob(multiRec.layers[2]!.digest);
  const r1 = await gc(s, { snapshots: [mchains[0]!] });
  assert.ok(!r1.deletedBlobs.includes(multiRec.layers[2]!.digest));
  assert.ok(r1.deletedBlobs.includes(multiRec.layers[0]!.digest));
  assert.deepEqual(r1.deletedSnapshots.sort(), [mchains[1]!, mchains[2]!].sort());
  assert.ok(r1.spaceReclaimed > 0);
  lease.release();
  const r2 = await gc(s);
  assert.ok(r2.deletedBlobs.includes(multiRec.layers[2]!.digest));
  assert.deepEqual(r2.deletedSnapshots, [mchains[0]!]);
  // busybox untouched.
  const bbRec = await s.images.get(bb.id);
  assert.ok(await s.content.has(bbRec.layers[0]!.digest));
  assert.ok(await s.content.has(bbRec.manifestDigest));
  assert.equal((await s.snapshots.stat(chainIds(bbRec.diffIds)[0]!)).kind, 'committed');
});
