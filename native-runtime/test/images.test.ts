import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { writeLayer } from '../src/layers/index.js';
import {
  applyChanges,
  ImageError,
  importRootfs,
  normalizeContainerConfig,
  openImageStores,
  type ImageConfig,
  type ImageStores,
} from '../src/images/index.js';
import { unpackImage } from '../src/snapshots/index.js';
import { chainIds } from '../src/snapshots/chain.js';
import { acquireLease } from '../src/archive/lease.js';
import { gc } from '../src/archive/gc.js';
import { sha256Digest } from '../src/util/ids.js';
import { FIXTURES, makeTar, shape, tmpRoot, type TarEntry } from './layers-helpers.js';

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

async function fixture(name: string): Promise<unknown> {
  return JSON.parse(await fsp.readFile(path.join(FIXTURES, name), 'utf8'));
}

/** Builds an image from tars, the way a build step would (layers unpacked, sizes recorded). */
async function makeImage(s: ImageStores, layers: TarEntry[][], extra: Partial<ImageConfig> = {}, tags: string[] = []): Promise<string> {
  const written = [];
  for (const l of layers) written.push(await writeLayer(once(await makeTar(l)), s.content));
  const { sizes } = await unpackImage(s.snapshots, s.content, written);
  const created = '2026-11-28T06:01:04.943812014Z';
  const rec = await s.images.create({
    config: {
      architecture: 'amd64',
      os: 'linux',
      created,
      config: normalizeContainerConfig({ Cmd: ['sh'] }),
      rootfs: { type: 'layers', diff_ids: written.map((w) => w.diffId) },
      history: written.map((w, i) => ({ created, created_by: `step ${i}` })),
      ...extra,
    },
    layers: written.map((w) => ({ mediaType: w.mediaType, digest: w.digest, size: w.size })),
    layerSizes: sizes,
    tags,
  });
  return rec.id;
}

test('create, resolve by id / prefix / name / name:tag / name@digest, tag, untag, list', async (t) => {
  const root = await tmpRoot(t);
  const s = await openImageStores(root);
  const id = await makeImage(s, [[{ name: 'a', body: 'aa' }]], {}, ['app:1']);
  assert.match(id, /^sha256:[a-f0-9]{64}$/);
  const hex = id.slice(7);
  for (const q of [id, hex, hex.slice(0, 12), 'sha256:' + hex.slice(0, 5), 'app:1', 'docker.io/library/app:1']) {
    assert.equal((await s.images.get(q)).id, id, q);
  }
  await assert.rejects(s.images.get('app'), (e: unknown) => e instanceof ImageError && e.statusCode === 404 && e.message === 'No such image: app:latest');
  await s.images.tag('app:1', 'app');
  await s.images.tag(id, 'localhost:5000/team/app:v2');
  assert.equal((await s.images.get('app')).id, id);
  const rec = await s.images.get(id);
  assert.equal((await s.images.get(`app@${rec.manifestDigest}`)).id, id);
  const man = await s.images.manifest(rec);
  const regFixture = (await fixture('registry_busybox_manifest_v2.json')) as object;
  assert.deepEqual(shape(man), shape(regFixture));
  assert.equal(man.config.digest, id);
  const inspect = await s.images.inspect('app');
  assert.deepEqual(inspect.RepoTags, ['app:1', 'app:latest', 'localhost:5000/team/app:v2']);
  assert.deepEqual(inspect.RepoDigests, []);
  assert.equal(await s.images.untag('app:1'), id);
  assert.equal(await s.images.untag('app:1'), null);
  assert.deepEqual((await s.images.inspect(id)).RepoTags, ['app:latest', 'localhost:5000/team/app:v2']);
  await assert.rejects(s.images.tag(id, 'Bad'), /lowercase/);
});

test('inspect, history and list have the shapes of Docker’s responses', async (t) => {
  const root = await tmpRoot(t);
  const s = await openImageStores(root);
  const id = await makeImage(s, [[{ name: 'a', body: 'aa' }], [{ name: 'b', body: 'bbb' }]], {
    container_config: normalizeContainerConfig({ Cmd: ['/bin/sh', '-c', '#(nop) ', 'CMD ["sh"]'] }),
    history: [
      { created: '2026-11-28T06:01:04.943812014Z', created_by: 'ADD a' },
      { created: '2026-11-28T06:01:04.943812014Z', created_by: '/bin/sh -c #(nop) ENV X=1', empty_layer: true },
      { created: '2026-11-28T06:01:05Z', created_by: 'ADD b' },
    ],
  }, ['bt:latest']);
  const inspect = await s.images.inspect('bt');
  const fx = (await fixture('api_images_bt_json.json')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(inspect), Object.keys(fx));
  assert.deepEqual(shape(inspect.ContainerConfig), shape({ ...(fx['ContainerConfig'] as object), Env: null, Labels: null }));
  assert.deepEqual(Object.keys(inspect.GraphDriver.Data!), Object.keys((fx['GraphDriver'] as { Data: object }).Data));
  assert.deepEqual(Object.keys(inspect.GraphDriver), ['Data', 'Name']);
  assert.equal(inspect.GraphDriver.Name, 'overlay2');
  assert.equal(inspect.Size, 5);
  assert.equal(inspect.VirtualSize, 5);
  assert.equal(inspect.RootFS.Layers!.length, 2);
  assert.match(inspect.Metadata.LastTagTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.equal(inspect.Created, '2026-11-28T06:01:04.943812014Z');

  const history = await s.images.history('bt');
  const hfx = (await fixture('api_images_bt_history.json')) as unknown[];
  assert.deepEqual(shape(history[0]), shape(hfx[0]));
  assert.deepEqual(Object.keys(history[1]!), Object.keys(hfx[1] as object));
  assert.deepEqual(history.map((h) => [h.Id === id ? 'ID' : h.Id, h.CreatedBy, h.Size, h.Tags]), [
    ['ID', 'ADD b', 3, ['bt:latest']],
    ['<missing>', '/bin/sh -c #(nop) ENV X=1', 0, null],
    ['<missing>', 'ADD a', 2, null],
  ]);
  assert.equal(history[0]!.Created, 1795845665);

  const list = await s.images.listImages();
  const lfx = (await fixture('api_images_json.json')) as unknown[];
  assert.deepEqual(shape(list[0]), shape(lfx[1]));
  assert.equal(list[0]!.Containers, -1);
  assert.equal(list[0]!.SharedSize, -1);
  assert.equal(list[0]!.RepoDigests, null);
  assert.deepEqual(list[0]!.RepoTags, ['bt:latest']);
});

test('remove untags by name, deletes by id, keeps shared blobs and snapshots', async (t) => {
  const root = await tmpRoot(t);
  const s = await openImageStores(root);
  const base: TarEntry[] = [{ name: 'base', body: 'b' }];
  const id1 = await makeImage(s, [base, [{ name: 'x', body: 'x' }]], {}, ['one:latest', 'one:alias']);
  const id2 = await makeImage(s, [base, [{ name: 'y', body: 'y' }]], {}, ['two:latest']);
  const r1 = await s.images.get(id1);
  const r2 = await s.images.get(id2);
  assert.equal(r1.layers[0]!.digest, r2.layers[0]!.digest);

  assert.deepEqual(await s.images.remove('one:alias'), [{ Untagged: 'one:alias' }]);
  // As dockerd: the image, then each removed layer by chain ID (the shared base stays).
  const top1 = chainIds(r1.diffIds).at(-1)!;
  assert.deepEqual(await s.images.remove('one'), [{ Untagged: 'one:latest' }, { Deleted: id1 }, { Deleted: top1 }]);
  await assert.rejects(s.images.get(id1), /No such image/);
  assert.equal(await s.content.has(r1.layers[1]!.digest), false, 'unshared layer blob removed');
  assert.equal(await s.content.has(r1.layers[0]!.digest), true, 'shared layer blob kept');
  const keys = (await s.snapshots.list()).map((x) => x.key);
  assert.ok(keys.includes(r2.diffIds[0]!), 'shared base snapshot kept');
  assert.equal(keys.length, 2);

  await s.images.tag(id2, 'other/two:1');
  await assert.rejects(s.images.remove(id2), (e: unknown) => e instanceof ImageError && e.statusCode === 409);
  const out = await s.images.remove(id2.slice(7, 19), { force: true });
  assert.deepEqual(out.slice(-3), [{ Deleted: id2 }, ...chainIds(r2.diffIds).reverse().map((c) => ({ Deleted: c }))]);
  assert.deepEqual(await s.snapshots.list(), []);
  assert.deepEqual(await s.content.list(), []);
  assert.deepEqual(await s.images.listImages(), []);
});

test('import a rootfs with --change lines, like docker import', async (t) => {
  const root = await tmpRoot(t);
  const s = await openImageStores(root);
  const tarBuf = await makeTar([{ name: 'bin/', type: 'directory', mode: 0o755 }, { name: 'bin/hello', body: 'hi', mode: 0o755 }]);
  const progress: string[] = [];
  const id = await importRootfs(s, once(tarBuf), {
    repo: 'imp',
    tag: 'v1',
    changes: [
      'CMD ["/bin/hello", "x"]',
      'ENTRYPOINT ["/bin/sh", "-c"]',
      'ENV A=1 B="x y"',
      'ENV A=2',
      'EXPOSE 80 53/udp',
      'USER nobody',
      'WORKDIR /srv',
      'WORKDIR app',
      'LABEL a=b "c d"=e',
      'VOLUME ["/data"]',
      'STOPSIGNAL SIGQUIT',
    ],
    onProgress: (p) => progress.push(p.phase),
  });
  assert.ok(progress.includes('done'));
  const i = await s.images.inspect('imp:v1');
  assert.equal(i.Id, id);
  assert.equal(i.Comment, 'Imported from -');
  assert.equal(i.Parent, '');
  assert.equal(i.Size, 2);
  const fx = (await fixture('api_images_busybox_json.json')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(i), Object.keys(fx));
  assert.deepEqual(i.ContainerConfig, (fx as { ContainerConfig: unknown }).ContainerConfig);
  const c = i.Config!;
  assert.deepEqual(c.Cmd, ['/bin/hello', 'x']);
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c']);
  assert.deepEqual(c.Env, ['B=x y', 'A=2']);
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.equal(c.User, 'nobody');
  assert.equal(c.WorkingDir, '/srv/app');
  assert.deepEqual(c.Labels, { a: 'b', 'c d': 'e' });
  assert.deepEqual(c.Volumes, { '/data': {} });
  assert.equal(c.StopSignal, 'SIGQUIT');
  const h = await s.images.history(id);
  const hfx = (await fixture('api_images_busybox_history.json')) as unknown[];
  assert.deepEqual(shape(h), shape(hfx));
  assert.deepEqual([h[0]!.Comment, h[0]!.CreatedBy, h[0]!.Id, h[0]!.Size, h[0]!.Tags], ['Imported from -', '', id, 2, ['imp:v1']]);

  // gzip input, message, and a refused change
  const { gzipSync } = await import('node:zlib');
  const id2 = await importRootfs(s, once(gzipSync(tarBuf)), { message: 'hello' });
  assert.equal((await s.images.inspect(id2)).Comment, 'hello');
  assert.deepEqual((await s.images.inspect(id2)).RootFS.Layers, i.RootFS.Layers, 'same diffID from gzip input');
  await assert.rejects(importRootfs(s, once(tarBuf), { changes: ['RUN rm -rf /'] }), /RUN is not a valid change command/);
});

test('applyChanges: shell form and JSON form', () => {
  const c = applyChanges(normalizeContainerConfig(), ['CMD echo hi', 'ENTRYPOINT', 'ENV PATH /usr/bin:/bin']);
  assert.deepEqual(c.Cmd, ['/bin/sh', '-c', 'echo hi']);
  assert.equal(c.Entrypoint, null);
  assert.deepEqual(c.Env, ['PATH=/usr/bin:/bin']);
});

test('adopt records pulled/loaded bytes as they are: non-canonical config and OCI manifest keep their digests', async (t) => {
  const root = await tmpRoot(t);
  const s = await openImageStores(root);
  const w = await writeLayer(once(await makeTar([{ name: 'f', body: 'adopted' }])), s.content);
  const { sizes } = await unpackImage(s.snapshots, s.content, [w]);
  // Pretty-printed, keys in another order, an unknown field: Berth's create() would re-encode all of it.
  const cfgBytes = Buffer.from(
    JSON.stringify({ os: 'linux', architecture: 'amd64', 'x-extra': { keep: true }, created: '2020-01-01T00:00:00Z', rootfs: { type: 'layers', diff_ids: [w.diffId] }, config: { Cmd: ['sh'] } }, null, 2),
  );
  const cfgDigest = sha256Digest(cfgBytes);
  await s.content.ingest('cfg', cfgBytes, { digest: cfgDigest });
  const manBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfgDigest, size: cfgBytes.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: w.digest, size: w.size }],
    }),
  );
  const manDigest = sha256Digest(manBytes);
  await s.content.ingest('man', manBytes, { digest: manDigest });
  const input = {
    configDigest: cfgDigest,
    manifestDigest: manDigest,
    manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: w.digest, size: w.size }],
    diffIds: [w.diffId],
    layerSizes: sizes,
    tags: ['reg.example:5000/team/app:v1'],
    repoDigests: [`reg.example:5000/team/app@${manDigest}`],
  };
  const rec = await s.images.adopt(input);
  assert.equal(rec.id, cfgDigest);
  assert.equal(rec.manifestDigest, manDigest);
  assert.equal(rec.layers[0]!.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip', 'layer media type kept');
  assert.ok((await s.content.readBuffer(cfgDigest)).equals(cfgBytes), 'config bytes untouched');
  const inspect = await s.images.inspect('reg.example:5000/team/app:v1');
  assert.equal(inspect.Id, cfgDigest);
  assert.deepEqual(inspect.RepoTags, ['reg.example:5000/team/app:v1']);
  assert.deepEqual(inspect.RepoDigests, [`reg.example:5000/team/app@${manDigest}`]);
  assert.equal((await s.images.get(`reg.example:5000/team/app@${manDigest}`)).id, cfgDigest);
  // Idempotent: the same image adopted again (another tag) keeps the one record.
  const again = await s.images.adopt({ ...input, tags: ['app:2'], repoDigests: [] });
  assert.equal(again.id, cfgDigest);
  assert.equal((await s.images.records()).length, 1);
  assert.deepEqual((await s.images.inspect(cfgDigest)).RepoTags, ['app:2', 'reg.example:5000/team/app:v1']);
  // Refusals: a blob that is not there, diff_ids that do not match the config, a digest as a tag.
  await assert.rejects(s.images.adopt({ ...input, manifestDigest: 'sha256:' + '0'.repeat(64) }), /not in the content store/);
  await assert.rejects(s.images.adopt({ ...input, diffIds: ['sha256:' + '1'.repeat(64)] }), /does not list the given diff_ids/);
  await assert.rejects(s.images.adopt({ ...input, tags: [`app@${manDigest}`] }), /digest reference/);
});

test('image removal leaves leased blobs and snapshots alone; gc takes them after the lease ends', async (t) => {
  const root = await tmpRoot(t);
  const s = await openImageStores(root);
  const id = await makeImage(s, [[{ name: 'a', body: 'a' }], [{ name: 'b', body: 'b' }]], {}, ['leased:1']);
  const rec = await s.images.get(id);
  const chains = chainIds(rec.diffIds);

  // A pull in flight holds the top layer (blob and snapshot).
  const lease = acquireLease(s, 'pull test');
  lease.addBlob(rec.layers[1]!.digest);
  lease.addSnapshot(chains[1]!);
  const out = await s.images.remove('leased:1');
  assert.deepEqual(out, [{ Untagged: 'leased:1' }, { Deleted: id }], 'no layer removed: the top one is leased, so the chain under it stays');
  assert.equal(await s.content.has(rec.layers[1]!.digest), true, 'leased blob kept');
  assert.equal(await s.content.has(rec.layers[0]!.digest), false, 'unleased blob removed');
  assert.equal(await s.content.has(rec.manifestDigest), false);
  assert.deepEqual((await s.snapshots.list()).map((x) => x.key).sort(), [...chains].sort());
  lease.release();
  const res = await gc(s);
  assert.deepEqual(res.deletedBlobs, [rec.layers[1]!.digest]);
  assert.deepEqual(res.deletedSnapshots.sort(), [...chains].sort());
  assert.deepEqual(await s.content.list(), []);

  // A push or save holding the image itself: removal deletes the record and nothing else.
  const id2 = await makeImage(s, [[{ name: 'c', body: 'c' }]], {}, ['pushed:1']);
  const l2 = acquireLease(s, 'push test');
  l2.addImage(id2);
  assert.deepEqual(await s.images.remove(id2), [{ Untagged: 'pushed:1' }, { Deleted: id2 }]);
  assert.equal((await s.content.list()).length, 3, 'config, manifest and layer kept while the push runs');
  l2.release();
  assert.equal((await gc(s)).deletedBlobs.length, 3);
});
