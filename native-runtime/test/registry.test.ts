// Push to and pull from a real registry (Debian's docker-registry, distribution 2.8) on 127.0.0.1.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openImageStores } from '../src/images/open.js';
import { chainIds } from '../src/snapshots/chain.js';
import { buildBusyboxImage } from '../src/starter/busybox.js';
import { RegistryPolicy } from '../src/registry/allow-list.js';
import { pull } from '../src/registry/pull.js';
import { push } from '../src/registry/push.js';
import type { ProgressMessage } from '../src/registry/progress.js';
import { tmpRoot } from './layers-helpers.js';
import { makeMultiLayerImage } from './support/images.js';
import { registryAvailable, startRegistry, type RegistryServer } from './support/registry-server.js';

const policy = new RegistryPolicy({ offline: true });

describe('registry push/pull round trip', () => {
  let reg: RegistryServer;
  before(async () => {
    reg = await startRegistry();
  });
  after(async () => {
    await reg?.stop();
  });

  test('busybox and a 3-layer image: push, pull into a fresh root, same digests and files', async (t) => {
    const src = await openImageStores(await tmpRoot(t));
    const bb = await buildBusyboxImage(src);
    const ref = `${reg.host}/library/busybox:latest`;
    await src.images.tag(bb.id, ref);
    const msgs: ProgressMessage[] = [];
    const pushed = await push(src, ref, { policy, onProgress: (m) => msgs.push(m) });
    const srcRec = await src.images.get(bb.id);
    assert.equal(pushed.digest, srcRec.manifestDigest, 'the registry serves the manifest Berth stored');
    assert.deepEqual(msgs[0], { status: `The push refers to repository [${reg.host}/library/busybox]` });
    assert.ok(msgs.some((m) => m.status === 'Pushed'));
    assert.ok(msgs.some((m) => m.status === 'Pushing' && m.progressDetail?.total && m.progress?.startsWith('[')));
    const last = msgs.at(-1)!;
    assert.deepEqual(last, { progressDetail: {}, aux: { Tag: 'latest', Digest: pushed.digest, Size: pushed.size } });
    assert.equal(msgs.at(-2)!.status, `latest: digest: ${pushed.digest} size: ${pushed.size}`);

    // Pushing again: every layer already exists.
    const again: ProgressMessage[] = [];
    await push(src, ref, { policy, onProgress: (m) => again.push(m) });
    assert.ok(again.some((m) => m.status === 'Layer already exists'));
    assert.ok(!again.some((m) => m.status === 'Pushed'));

    const multiId = await makeMultiLayerImage(src, `${reg.host}/team/multi:v1`);
    const pm = await push(src, `${reg.host}/team/multi:v1`, { policy, chunkSize: 100 });
    assert.equal(pm.digest, (await src.images.get(multiId)).manifestDigest);

    const dst = await openImageStores(await tmpRoot(t));
    const pmsgs: ProgressMessage[] = [];
    const got = await pull(dst, ref, { policy, onProgress: (m) => pmsgs.push(m) });
    assert.equal(got.imageId, bb.id);
    assert.equal(got.digest, pushed.digest);
    const rec = await dst.images.get(ref);
    assert.equal(rec.manifestDigest, srcRec.manifestDigest);
    assert.deepEqual(rec.layers, srcRec.layers);
    const insp = await dst.images.inspect(ref);
    assert.deepEqual(insp.RepoTags, [ref]);
    assert.deepEqual(insp.RepoDigests, [`${reg.host}/library/busybox@${pushed.digest}`]);
    assert.deepEqual(pmsgs[0], { status: 'Pulling from library/busybox', id: 'latest' });
    const lid = srcRec.layers[0]!.digest.slice(7, 19);
    for (const st of ['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete']) {
      assert.ok(pmsgs.some((m) => m.status === st && m.id === lid), `missing ${st}`);
    }
    assert.deepEqual(pmsgs.at(-2), { status: `Digest: ${pushed.digest}` });
    assert.deepEqual(pmsgs.at(-1), { status: `Status: Downloaded newer image for ${ref}` });
    const [chain] = chainIds(rec.diffIds);
    const fs0 = await dst.snapshots.fsPath(chain!);
    assert.ok((await fsp.lstat(path.join(fs0, 'bin/busybox'))).isFile());
    assert.equal(await fsp.readlink(path.join(fs0, 'bin/sh')), 'busybox');

    // Pulling again: up to date, nothing downloaded.
    const p2: ProgressMessage[] = [];
    const again2 = await pull(dst, ref, { policy, onProgress: (m) => p2.push(m) });
    assert.equal(again2.upToDate, true);
    assert.ok(p2.some((m) => m.status === 'Already exists'));
    assert.deepEqual(p2.at(-1), { status: `Status: Image is up to date for ${ref}` });

    const gm = await pull(dst, `${reg.host}/team/multi:v1`, { policy });
    assert.equal(gm.imageId, multiId);
    const mrec = await dst.images.get(multiId);
    const chains = chainIds(mrec.diffIds);
    for (let i = 0; i < 3; i++) {
      const dir = await dst.snapshots.fsPath(chains[i]!);
      const body = await fsp.readFile(path.join(dir, `layer${i}/file.txt`), 'utf8');
      assert.equal(body, `layer ${i} of x\n`);
    }
    assert.equal(await fsp.readFile(path.join(await dst.snapshots.fsPath(chains[2]!), 'layer0/file.txt'), 'utf8'), 'overwritten by layer 2\n');

    // By digest too.
    const bd = await pull(dst, `${reg.host}/team/multi@${pm.digest}`, { policy });
    assert.equal(bd.imageId, multiId);
  });

  test('cross-repository mount when the blob is known to be in another repo', async (t) => {
    const src = await openImageStores(await tmpRoot(t));
    const id = await makeMultiLayerImage(src, `${reg.host}/a/one:latest`, 'mount');
    await push(src, `${reg.host}/a/one:latest`, { policy });
    await src.images.tag(id, `${reg.host}/b/two:latest`);
    const msgs: ProgressMessage[] = [];
    const r = await push(src, `${reg.host}/b/two:latest`, { policy, onProgress: (m) => msgs.push(m) });
    assert.equal(msgs.filter((m) => m.status === 'Mounted from a/one').length, 3, JSON.stringify(msgs));
    const dst = await openImageStores(await tmpRoot(t));
    assert.equal((await pull(dst, `${reg.host}/b/two:latest`, { policy })).imageId, id);
    assert.equal(r.digest, (await src.images.get(id)).manifestDigest);
  });

  test('pulling an unknown tag is a clear 404', async (t) => {
    const dst = await openImageStores(await tmpRoot(t));
    await assert.rejects(pull(dst, `${reg.host}/nope/nothing:latest`, { policy }), (e: Error & { statusCode?: number }) => {
      assert.equal(e.statusCode, 404);
      assert.match(e.message, /manifest for .*nope\/nothing:latest not found/);
      return true;
    });
  });
});
