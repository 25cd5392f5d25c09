// save: images as a docker-archive tar (manifest.json, repositories) that is at the same time an OCI image
// layout (oci-layout, index.json, blobs/sha256/…), as Docker 25+ writes it. Every blob is stored once, under
// blobs/sha256/, and manifest.json points into it. Streamed from the content store: nothing large in memory.
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { EngineError } from '../errors.js';
import type { ImageStores } from '../images/open.js';
import { familiarName, familiarString, isImageId, parseNormalizedNamed, referenceString, type Reference } from '../images/reference.js';
import type { ImageRecord } from '../images/store.js';
import { MEDIA_TYPES, type Descriptor } from '../images/types.js';
import { ociLayerType } from '../registry/image-record.js';
import { hexOf, sha256Digest } from '../util/ids.js';
import { asNodeWritable } from '../util/node-streams.js';
import { acquireLease } from './lease.js';

interface SavedImage {
  rec: ImageRecord;
  tags: Reference[];
}

const EPOCH = new Date(0);

async function resolve(stores: ImageStores, refs: string[]): Promise<SavedImage[]> {
  const byId = new Map<string, SavedImage>();
  for (const r of refs) {
    const rec = await stores.images.get(r).catch(() => {
      throw new EngineError(404, `reference does not exist: ${r}`, { reason: 'not found' });
    });
    const entry = byId.get(rec.id) ?? { rec, tags: [] };
    byId.set(rec.id, entry);
    if (isImageId(r) || /^[a-f0-9]{1,63}$/.test(r)) continue; // by id: no tags, as docker save
    let named: Reference;
    try {
      named = parseNormalizedNamed(r);
    } catch {
      continue;
    }
    const mine = (await stores.images.references(rec.id)).filter((x) => x.tag !== undefined && x.digest === undefined);
    const wanted = named.tag !== undefined ? mine.filter((x) => x.domain === named.domain && x.path === named.path && x.tag === named.tag)
      : named.digest !== undefined ? []
      : mine.filter((x) => x.domain === named.domain && x.path === named.path); // a bare name: every tag of the repo
    if (named.tag === undefined && named.digest === undefined) {
      // Other images tagged in the same repository are saved too, as docker save does.
      for (const [ref, id] of await allTagsOfRepo(stores, named)) {
        if (id === rec.id) continue;
        const other = byId.get(id) ?? { rec: await stores.images.get(id), tags: [] };
        byId.set(id, other);
        if (!other.tags.some((t) => referenceString(t) === referenceString(ref))) other.tags.push(ref);
      }
    }
    for (const w of wanted) if (!entry.tags.some((t) => referenceString(t) === referenceString(w))) entry.tags.push(w);
  }
  return [...byId.values()];
}

async function allTagsOfRepo(stores: ImageStores, named: Reference): Promise<Array<[Reference, string]>> {
  const out: Array<[Reference, string]> = [];
  for (const rec of await stores.images.records()) {
    for (const r of await stores.images.references(rec.id)) {
      if (r.tag !== undefined && r.digest === undefined && r.domain === named.domain && r.path === named.path) out.push([r, rec.id]);
    }
  }
  return out;
}

function entry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, body?: Buffer): Promise<void> {
  return new Promise((res, rej) => {
    const cb = (e?: Error | null): void => (e ? rej(e) : res());
    if (body) pack.entry(header, body, cb);
    else pack.entry(header, cb);
  });
}

function streamEntry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, src: Readable): Promise<void> {
  return new Promise((res, rej) => {
    const sink = pack.entry(header, (e) => (e ? rej(e) : res()));
    src.on('error', (e) => {
      sink.destroy(e);
      rej(e);
    });
    src.pipe(asNodeWritable(sink));
  });
}

/** One OCI image manifest per image, describing the blobs exactly as stored in the archive. */
function ociManifest(rec: ImageRecord, configSize: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: rec.id, size: configSize },
      layers: rec.layers.map((l) => ({ mediaType: ociLayerType(l.mediaType), digest: l.digest, size: l.size })),
    }),
  );
}

/**
 * Resolves every reference first (an unknown one fails before any byte is written), then streams the tar.
 * A lease keeps the blobs from being collected while the stream is read.
 */
export async function save(stores: ImageStores, refs: string[]): Promise<Readable> {
  if (!refs.length) throw new EngineError(400, 'no images to save');
  const images = await resolve(stores, refs);
  const lease = acquireLease(stores, 'save');
  try {
    const blobs = new Map<string, { size: number; buf?: Buffer }>();
    const index: Descriptor[] = [];
    const manifestJson: Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }> = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const { rec, tags } of images) {
      lease.addImage(rec.id);
      const cfg = await stores.content.info(rec.id);
      blobs.set(rec.id, { size: cfg.size });
      for (const l of rec.layers) {
        lease.addBlob(l.digest);
        blobs.set(l.digest, { size: (await stores.content.info(l.digest)).size });
      }
      const om = ociManifest(rec, cfg.size);
      const omDigest = sha256Digest(om);
      blobs.set(omDigest, { size: om.length, buf: om });
      const desc = { mediaType: MEDIA_TYPES.ociManifest, digest: omDigest, size: om.length };
      if (tags.length) {
        for (const t of tags) index.push({ ...desc, annotations: { 'io.containerd.image.name': referenceString(t), 'org.opencontainers.image.ref.name': t.tag! } });
      } else index.push(desc);
      manifestJson.push({
        Config: `blobs/sha256/${hexOf(rec.id)}`,
        RepoTags: tags.length ? tags.map(familiarString) : null,
        Layers: rec.layers.map((l) => `blobs/sha256/${hexOf(l.digest)}`),
      });
      const top = rec.layers.at(-1);
      if (top) for (const t of tags) (repositories[familiarName(t)] ??= {})[t.tag!] = hexOf(top.digest);
    }
    const pack = tar.pack();
    const base = { mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '' };
    const write = async (): Promise<void> => {
      await entry(pack, { ...base, name: 'blobs/', type: 'directory', mode: 0o755 });
      await entry(pack, { ...base, name: 'blobs/sha256/', type: 'directory', mode: 0o755 });
      for (const [digest, b] of blobs) {
        const header = { ...base, name: `blobs/sha256/${hexOf(digest)}`, type: 'file' as const, mode: 0o644, size: b.size };
        if (b.buf) await entry(pack, header, b.buf);
        else await streamEntry(pack, header, await stores.content.readStream(digest));
      }
      const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v) + '\n');
      await entry(pack, { ...base, name: 'index.json', type: 'file', mode: 0o644 }, json({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: index }));
      await entry(pack, { ...base, name: 'manifest.json', type: 'file', mode: 0o644 }, json(manifestJson));
      await entry(pack, { ...base, name: 'oci-layout', type: 'file', mode: 0o644 }, Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
      if (Object.keys(repositories).length) await entry(pack, { ...base, name: 'repositories', type: 'file', mode: 0o644 }, json(repositories));
      pack.finalize();
    };
    write().catch((e: Error) => pack.destroy(e)).finally(() => lease.release());
    const out = Readable.from(pack as AsyncIterable<Buffer>);
    return out;
  } catch (e) {
    lease.release();
    throw e;
  }
}
