// A local registry for the specs (Debian's docker-registry on 127.0.0.1, as the runtime's own tests
// use) and a way to put an image in it whose layer this engine has never seen, so a pull really downloads.
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { registryAvailable, startRegistry, type RegistryServer } from '../../native-runtime/test/support/registry-server';
import { contextTar } from '../../components/builds/context-upload';

export { registryAvailable, startRegistry, type RegistryServer };

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function putBlob(host: string, repo: string, body: Buffer): Promise<string> {
  const digest = sha256(body);
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`upload start: HTTP ${start.status}`);
  const location = new URL(start.headers.get('location')!, `http://${host}`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: new Uint8Array(body), headers: { 'Content-Type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`upload: HTTP ${put.status} ${await put.text()}`);
  return digest;
}

/** Pushes a one-layer image (a file of `bytes` random bytes) as host/repo:tag, straight over the registry API. */
export async function seedImage(host: string, repo: string, tag: string, bytes: number): Promise<void> {
  const tar = Buffer.concat((await contextTar([{ path: 'data/random.bin', data: randomBytes(bytes), mtime: new Date() }])).map((u) => Buffer.from(u)));
  const layer = gzipSync(tar, { level: 1 });
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', created: new Date().toISOString(), config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [sha256(tar)] }, history: [{ created_by: 'e2e seed' }] }),
  );
  const layerDigest = await putBlob(host, repo, layer);
  const configDigest = await putBlob(host, repo, config);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: configDigest },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: layerDigest }],
  };
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    body: JSON.stringify(manifest),
    headers: { 'Content-Type': manifest.mediaType },
  });
  if (res.status !== 201) throw new Error(`manifest: HTTP ${res.status} ${await res.text()}`);
}
