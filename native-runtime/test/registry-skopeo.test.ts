// Interop with skopeo (containers/image): it reads what Berth pushed and saved; Berth loads what it wrote.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream, existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { openImageStores } from '../src/images/open.js';
import { buildBusyboxImage } from '../src/starter/busybox.js';
import { RegistryPolicy } from '../src/registry/allow-list.js';
import { push } from '../src/registry/push.js';
import { pull } from '../src/registry/pull.js';
import { save } from '../src/archive/save.js';
import { load } from '../src/archive/load.js';
import { tmpRoot } from './layers-helpers.js';
import { makeMultiLayerImage } from './support/images.js';
import { registryAvailable, startRegistry, type RegistryServer } from './support/registry-server.js';

const run = promisify(execFile);
const SKOPEO = '/usr/bin/skopeo';
const policy = new RegistryPolicy({ offline: true });

async function layoutImage(dir: string): Promise<{ config: string; layers: string[] }> {
  const index = JSON.parse(await fsp.readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const man = JSON.parse(await fsp.readFile(path.join(dir, 'blobs/sha256', index.manifests[0]!.digest.slice(7)), 'utf8')) as { config: { digest: string }; layers: Array<{ digest: string }> };
  return { config: man.config.digest, layers: man.layers.map((l) => l.digest) };
}

describe('skopeo interop', () => {
  let reg: RegistryServer;
  let home: string;
  let policyFile: string;
  const skopeo = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(SKOPEO, ['--policy', policyFile, ...args], { env: { PATH: '/usr/bin:/bin', HOME: home, XDG_RUNTIME_DIR: home }, maxBuffer: 16 << 20 });
    return stdout;
  };
  before(async () => {
    reg = await startRegistry();
    home = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-skopeo-'));
    policyFile = path.join(home, 'policy.json');
    await fsp.writeFile(policyFile, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  });
  after(async () => {
    await reg?.stop();
    if (home) await fsp.rm(home, { recursive: true, force: true });
  });

  test('skopeo inspect sees the layers Berth pushed; skopeo copy to oci: loads back with the same image ID', async (t) => {
    const src = await openImageStores(await tmpRoot(t));
    const multi = await makeMultiLayerImage(src, `${reg.host}/team/multi:v1`, 'skopeo');
    const pushed = await push(src, `${reg.host}/team/multi:v1`, { policy });
    const rec = await src.images.get(multi);
    const info = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${reg.host}/team/multi:v1`)) as { Digest: string; Layers: string[] };
    assert.deepEqual(info.Layers, rec.layers.map((l) => l.digest));
    assert.equal(info.Digest, pushed.digest);
    const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/team/multi:v1`);
    assert.equal(raw, (await src.content.readBuffer(rec.manifestDigest)).toString(), 'byte-identical manifest');

    const dir = path.join(home, 'oci1');
    await skopeo('copy', '--src-tls-verify=false', `docker://${reg.host}/team/multi:v1`, `oci:${dir}:v1`);
    const tarFile = path.join(home, 'oci1.tar');
    await run('tar', ['-C', dir, '-cf', tarFile, '.']);
    // skopeo converts schema2 -> OCI, and with it re-encodes the config as an OCI config (a new digest);
    // layers and diff_ids are untouched. Berth must report exactly the layout's config digest.
    const layout = await layoutImage(dir);
    assert.deepEqual(layout.layers, rec.layers.map((l) => l.digest));
    const dst = await openImageStores(await tmpRoot(t));
    const loaded = await load(dst, createReadStream(tarFile));
    assert.deepEqual(loaded.images, [{ id: layout.config, tags: [] }]);
    const got = await dst.images.get(layout.config);
    assert.deepEqual(got.diffIds, rec.diffIds);
    assert.deepEqual(got.layers.map((l) => l.digest), layout.layers);
    const inspected = await dst.images.inspect(layout.config);
    assert.deepEqual(inspected.Config?.Cmd, ['sh']);
    // And it pushes and pulls like any other image.
    await dst.images.tag(layout.config, `${reg.host}/from/oci:1`);
    await push(dst, `${reg.host}/from/oci:1`, { policy });
    const again = await openImageStores(await tmpRoot(t));
    assert.equal((await pull(again, `${reg.host}/from/oci:1`, { policy })).imageId, layout.config);
  });

  test('Berth save: the OCI half keeps the config digest through skopeo; docker-archive converts like a registry copy; skopeo pushes it', async (t) => {
    const src = await openImageStores(await tmpRoot(t));
    const bb = await buildBusyboxImage(src);
    const archive = path.join(home, 'bb.tar');
    await pipeline(await save(src, ['busybox:latest']), createWriteStream(archive));
    const rec = await src.images.get(bb.id);
    // Read as an OCI layout (the Docker 25 half of the archive): no conversion, so the config is kept.
    const dir3 = path.join(home, 'oci3');
    await fsp.mkdir(dir3);
    await run('tar', ['-C', dir3, '-xf', archive]);
    const info = JSON.parse(await skopeo('inspect', `oci:${dir3}:latest`)) as { Layers: string[] };
    assert.deepEqual(info.Layers, rec.layers.map((l) => l.digest));
    const dir4 = path.join(home, 'oci4');
    await skopeo('copy', `oci:${dir3}:latest`, `oci:${dir4}:latest`);
    assert.equal((await layoutImage(dir4)).config, bb.id, 'config digest kept through the OCI half');

    // Read as a docker-archive: skopeo makes a schema2 image of it and converts that to OCI, exactly as it
    // does for the same image pulled from a registry: the same config digest both ways, same diff_ids.
    const dir2 = path.join(home, 'oci2');
    await skopeo('copy', `docker-archive:${archive}`, `oci:${dir2}:latest`);
    const viaArchive = await layoutImage(dir2);
    await src.images.tag(bb.id, `${reg.host}/library/busybox:latest`);
    await push(src, `${reg.host}/library/busybox:latest`, { policy });
    const dir5 = path.join(home, 'oci5');
    await skopeo('copy', '--src-tls-verify=false', `docker://${reg.host}/library/busybox:latest`, `oci:${dir5}:latest`);
    const viaRegistry = await layoutImage(dir5);
    assert.equal(viaArchive.config, viaRegistry.config);
    // (skopeo's docker-archive source addresses layers by diffID and recompresses them: new blob digests.)
    const cfg = JSON.parse(await fsp.readFile(path.join(dir2, 'blobs/sha256', viaArchive.config.slice(7)), 'utf8')) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual(cfg.rootfs.diff_ids, rec.diffIds);

    await skopeo('copy', '--dest-tls-verify=false', `docker-archive:${archive}`, `docker://${reg.host}/from/skopeo:1`);
    const dst = await openImageStores(await tmpRoot(t));
    const got = await pull(dst, `${reg.host}/from/skopeo:1`, { policy });
    assert.equal(got.imageId, bb.id);
  });
});
