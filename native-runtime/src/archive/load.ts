// load: a docker-archive tar (manifest.json; Docker 25+ `blobs/sha256/…` paths or the older `<id>/layer.tar`)
// or an OCI image layout packed as a tar (oci-layout, index.json, blobs/ — e.g. `skopeo copy … oci:DIR`).
// The tar is read once, as a stream: files under blobs/sha256/ are verified against their names while
// they are stored; other large files are stored by their computed digest; small JSON is kept in memory.
// Entry names with `..`, absolute paths, or links that leave the archive are refused.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { z } from 'zod';
import { ContentError } from '../content/errors.js';
import { EngineError, badParameter } from '../errors.js';
import type { ImageStores } from '../images/open.js';
import { familiarString, parseNormalizedNamed, withDefaultTag } from '../images/reference.js';
import { MEDIA_TYPES, hostArchitecture, type Descriptor, type ImageConfig, type Index, type Manifest } from '../images/types.js';
import type { ProgressMessage } from '../registry/progress.js';
import { DOCKER_LAYER_TAR, recordImage } from '../registry/image-record.js'; // adopts the bytes as loaded
import { isIndexType, isManifestType } from '../registry/manifests.js';
import { chainIds } from '../snapshots/chain.js';
import { unpackImage } from '../snapshots/unpack.js';
import { randomHex, sha256Digest } from '../util/ids.js';
import { activeLeases, withLease, type Lease } from './lease.js';
import { legacyImages } from './load-legacy.js';

export interface LoadOptions {
  onProgress?: (m: ProgressMessage) => void;
  /** Largest non-blob file kept in memory (manifest.json, configs). Default 16 MiB. */
  maxSmallFile?: number;
}

export interface LoadResult {
  images: Array<{ id: string; tags: string[] }>;
}

const SMALL_NAMES = new Set(['manifest.json', 'index.json', 'repositories', 'oci-layout', 'VERSION']);

/** Clean archive-relative path; throws on anything that could escape the extraction root. */
export function safeArchivePath(name: string): string {
  if (name.includes('\0')) throw badParameter(`invalid archive: entry name ${JSON.stringify(name)} has a NUL byte`);
  if (name.startsWith('/')) throw badParameter(`invalid archive: refusing absolute path ${JSON.stringify(name)}`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw badParameter(`invalid archive: refusing entry ${JSON.stringify(name)} (path escapes the archive)`);
  return parts.join('/');
}

interface Collected {
  small: Map<string, Buffer>;
  blobs: Map<string, string>; // archive path -> digest in the content store
  links: Map<string, string>; // archive path -> archive path it points to
  created: Set<string>; // digests this load added to the store
}

async function collect(stores: ImageStores, input: AsyncIterable<Uint8Array> | Readable, lease: Lease, maxSmall: number, c: Collected): Promise<Collected> {
  const extract = tar.extract();
  // After a refusal the rest of the upload is read and dropped rather than the request destroyed: that
  // would cut the connection, and the client must get the error (dockerd reads the whole body too).
  let refused = false;
  const feed = (async () => {
    try {
      for await (const chunk of input as AsyncIterable<Uint8Array>) {
        if (refused) continue;
        if (!extract.write(chunk as Buffer)) await drainOrClose(extract);
      }
      // streamx's end() takes an optional last chunk; none here.
      if (!refused) extract.end(undefined);
    } catch (e) {
      extract.destroy(e as Error);
    }
  })();
  try {
    for await (const e of extract) {
      const h = e.header;
      const name = safeArchivePath(h.name);
      const drainEntry = async (): Promise<void> => {
        for await (const _ of e) {
          // discard
        }
      };
      if (h.type === 'symlink' || h.type === 'link') {
        const target = h.type === 'symlink' ? path.posix.join(path.posix.dirname(name), h.linkname ?? '') : (h.linkname ?? '');
        if ((h.linkname ?? '').startsWith('/')) throw badParameter(`invalid archive: link ${JSON.stringify(h.name)} has an absolute target`);
        const norm = path.posix.normalize(target);
        if (norm === '..' || norm.startsWith('../')) throw badParameter(`invalid archive: link ${JSON.stringify(h.name)} points outside the archive`);
        c.links.set(name, safeArchivePath(norm));
        await drainEntry();
        continue;
      }
      if (h.type !== 'file' && h.type !== 'contiguous-file') {
        await drainEntry();
        continue;
      }
      const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(name);
      const base = path.posix.basename(name);
      if (!m && (h.size ?? 0) <= maxSmall && (SMALL_NAMES.has(name) || base.endsWith('.json') || base === 'json' || base === 'VERSION')) {
        const parts: Buffer[] = [];
        for await (const chunk of e as AsyncIterable<Buffer>) parts.push(chunk);
        c.small.set(name, Buffer.concat(parts));
        continue;
      }
      if (m) {
        const digest = `sha256:${m[1]}`;
        lease.addBlob(digest);
        if (await stores.content.has(digest)) {
          await drainEntry();
        } else {
          try {
            await stores.content.ingest(`load-${m[1]}`, e as AsyncIterable<Buffer>, { digest, size: h.size });
          } catch (err) {
            if (err instanceof ContentError && (err.code === 'DIGEST_MISMATCH' || err.code === 'SIZE_MISMATCH')) {
              throw badParameter(`invalid archive: ${name} does not match its digest (${err.message})`);
            }
            throw err;
          }
          c.created.add(digest);
        }
        c.blobs.set(name, digest);
        continue;
      }
      // Anything else big (old-style <id>/layer.tar): store by computed digest.
      const hash = createHash('sha256');
      const tee = (async function* () {
        for await (const chunk of e as AsyncIterable<Buffer>) {
          hash.update(chunk);
          yield chunk;
        }
      })();
      const info = await stores.content.ingest(`load-${randomHex(8)}`, tee, { size: h.size });
      lease.addBlob(info.digest);
      c.created.add(info.digest);
      c.blobs.set(name, info.digest);
    }
  } catch (err) {
    refused = true; // the feed now drains the input in the background
    extract.destroy();
    throw err;
  }
  await feed;
  return c;
}

function drainOrClose(s: NodeJS.EventEmitter): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      s.off('drain', done);
      s.off('close', done);
      resolve();
    };
    s.once('drain', done);
    s.once('close', done);
  });
}

function resolveLink(c: Collected, p: string): string {
  let cur = p;
  for (let i = 0; i < 16 && c.links.has(cur); i++) cur = c.links.get(cur)!;
  return cur;
}

/** Bytes of a (small) file in the archive, wherever it landed. */
async function bytesOf(stores: ImageStores, c: Collected, p: string): Promise<Buffer> {
  const name = resolveLink(c, safeArchivePath(p));
  const small = c.small.get(name);
  if (small) return small;
  const d = c.blobs.get(name);
  if (d) return stores.content.readBuffer(d);
  throw badParameter(`invalid archive: ${p} is missing`);
}

/** Puts `buf` in the content store (if not there) and returns its digest. */
async function store(stores: ImageStores, c: Collected, lease: Lease, buf: Buffer): Promise<string> {
  const digest = sha256Digest(buf);
  lease.addBlob(digest);
  if (!(await stores.content.has(digest))) {
    await stores.content.ingest(`load-${digest.slice(7)}`, buf, { digest, size: buf.length });
    c.created.add(digest);
  }
  return digest;
}

async function layerDescriptor(stores: ImageStores, c: Collected, lease: Lease, p: string): Promise<Descriptor> {
  const name = resolveLink(c, safeArchivePath(p));
  let digest = c.blobs.get(name);
  if (!digest) {
    const small = c.small.get(name);
    if (!small) throw badParameter(`invalid archive: layer ${p} is missing`);
    digest = await store(stores, c, lease, small);
  }
  const info = await stores.content.info(digest);
  const head = await firstBytes(stores, digest);
  return { mediaType: head[0] === 0x1f && head[1] === 0x8b ? MEDIA_TYPES.dockerLayerGzip : DOCKER_LAYER_TAR, digest, size: info.size };
}

async function firstBytes(stores: ImageStores, digest: string): Promise<Buffer> {
  const s = await stores.content.readStream(digest);
  for await (const chunk of s as AsyncIterable<Buffer>) {
    s.destroy();
    return chunk.subarray(0, 4);
  }
  return Buffer.alloc(0);
}

function parseJson<T>(buf: Buffer, what: string): T {
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch {
    throw badParameter(`invalid archive: ${what} is not valid JSON`);
  }
}

interface Candidate {
  configDigest: string;
  layers: Descriptor[];
  tags: string[];
  /** Image ID of the local parent (pre-1.10 archives chain their images). */
  parent?: string;
}

// manifest.json as dockerd decodes it (moby image/tarexport manifestItem): anything else is an error, not
// an entry dropped silently.
const ManifestJsonSchema = z.array(
  z.looseObject({
    Config: z.string({ error: 'Config must be a string' }),
    RepoTags: z.array(z.string({ error: 'RepoTags must be a list of strings' }), { error: 'RepoTags must be a list of strings' }).nullable().optional(),
    Layers: z.array(z.string({ error: 'Layers must be a list of strings' }), { error: 'Layers must be a list of strings' }),
  }),
  { error: 'manifest.json must be a list' },
);

async function fromDockerArchive(stores: ImageStores, c: Collected, lease: Lease): Promise<Candidate[]> {
  const parsed = ManifestJsonSchema.safeParse(parseJson<unknown>(c.small.get('manifest.json')!, 'manifest.json'));
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw badParameter(`invalid archive: manifest.json${i.path.length ? ` [${i.path.join('.')}]` : ''}: ${i.message}`);
  }
  const out: Candidate[] = [];
  for (const m of parsed.data) {
    const cfg = await bytesOf(stores, c, m.Config);
    const configDigest = await store(stores, c, lease, cfg);
    const layers: Descriptor[] = [];
    for (const l of m.Layers) layers.push(await layerDescriptor(stores, c, lease, l));
    out.push({ configDigest, layers, tags: m.RepoTags ?? [] });
  }
  return out;
}

async function fromLegacyArchive(stores: ImageStores, c: Collected, lease: Lease): Promise<Candidate[]> {
  const images = await legacyImages({
    names: c.small.keys(),
    read: (p) => bytesOf(stores, c, p),
    layer: (p) => layerDescriptor(stores, c, lease, p),
    open: (d) => stores.content.readStream(d) as Promise<AsyncIterable<Buffer>>,
    storeConfig: (b) => store(stores, c, lease, b),
  });
  return images.map((i) => ({ configDigest: i.configDigest, layers: i.layers, tags: i.tags, ...(i.parent ? { parent: i.parent } : {}) }));
}

function nameFromAnnotations(a: Record<string, string> | undefined): string | undefined {
  if (!a) return undefined;
  const full = a['io.containerd.image.name'];
  if (full) return full;
  const rn = a['org.opencontainers.image.ref.name'];
  // A bare tag ("latest", as skopeo's oci:DIR:tag writes) names no repository: the image loads untagged.
  if (rn && /[:/]/.test(rn)) return rn;
  return undefined;
}

async function fromOciLayout(stores: ImageStores, c: Collected, lease: Lease): Promise<Candidate[]> {
  const layout = c.small.get('oci-layout');
  if (layout) {
    const l = parseJson<{ imageLayoutVersion?: string }>(layout, 'oci-layout');
    if (!l.imageLayoutVersion) throw badParameter('invalid archive: oci-layout has no imageLayoutVersion');
  }
  const idx = parseJson<Index>(c.small.get('index.json')!, 'index.json');
  const byConfig = new Map<string, Candidate>();
  const want = { os: 'linux', architecture: hostArchitecture() };
  const visit = async (desc: Descriptor, name: string | undefined, depth: number): Promise<void> => {
    if (depth > 4) throw badParameter('invalid archive: index nesting too deep');
    if (!(await stores.content.has(desc.digest))) throw badParameter(`invalid archive: blob ${desc.digest} (${desc.mediaType}) is missing`);
    const buf = await stores.content.readBuffer(desc.digest);
    const mt = desc.mediaType || parseJson<{ mediaType?: string }>(buf, desc.digest).mediaType || '';
    if (isIndexType(mt)) {
      const sub = parseJson<Index>(buf, desc.digest);
      const matching = sub.manifests.filter((d) => !d.platform || (d.platform.os === want.os && d.platform.architecture === want.architecture));
      for (const d of matching.length ? matching : sub.manifests.slice(0, 1)) await visit(d, name ?? nameFromAnnotations(d.annotations), depth + 1);
      return;
    }
    if (!isManifestType(mt)) return; // attestations, signatures: not images
    const m = parseJson<Manifest>(buf, desc.digest);
    if (m.config.mediaType && m.config.mediaType !== MEDIA_TYPES.ociConfig && m.config.mediaType !== MEDIA_TYPES.dockerConfig) return;
    if (!(await stores.content.has(m.config.digest))) throw badParameter(`invalid archive: config ${m.config.digest} is missing`);
    const layers: Descriptor[] = [];
    for (const l of m.layers) {
      if (!(await stores.content.has(l.digest))) throw badParameter(`invalid archive: layer ${l.digest} is missing`);
      layers.push({ mediaType: l.mediaType, digest: l.digest, size: l.size });
    }
    const cand = byConfig.get(m.config.digest) ?? { configDigest: m.config.digest, layers, tags: [] };
    if (name && !cand.tags.includes(name)) cand.tags.push(name);
    byConfig.set(m.config.digest, cand);
  };
  for (const d of idx.manifests ?? []) await visit(d, nameFromAnnotations(d.annotations), 0);
  return [...byConfig.values()];
}

/** `docker load`: stores and unpacks every image in the archive and applies its tags. */
export async function load(stores: ImageStores, input: AsyncIterable<Uint8Array> | Readable, opts: LoadOptions = {}): Promise<LoadResult> {
  return withLease(stores, 'load', async (lease) => {
    const c: Collected = { small: new Map(), blobs: new Map(), links: new Map(), created: new Set() };
    const results: LoadResult['images'] = [];
    try {
      await collect(stores, input, lease, opts.maxSmallFile ?? 16 << 20, c);
      let cands: Candidate[];
      if (c.small.has('manifest.json')) cands = await fromDockerArchive(stores, c, lease);
      else if (c.small.has('index.json')) cands = await fromOciLayout(stores, c, lease);
      else if (c.small.has('repositories')) cands = await fromLegacyArchive(stores, c, lease);
      else throw badParameter('invalid archive: neither manifest.json nor index.json found');
      if (!cands.length) throw badParameter('invalid archive: it contains no image');
      for (const cand of cands) {
        const cfg = await stores.content.readJson<ImageConfig>(cand.configDigest);
        const diffIds = cfg.rootfs?.diff_ids ?? [];
        if (diffIds.length !== cand.layers.length) throw badParameter(`invalid archive: config ${cand.configDigest} lists ${diffIds.length} layers, the manifest ${cand.layers.length}`);
        for (const ch of chainIds(diffIds)) lease.addSnapshot(ch);
        const { sizes } = await unpackImage(stores.snapshots, stores.content, cand.layers.map((l, i) => ({ digest: l.digest, diffId: diffIds[i]! })));
        const tags: string[] = [];
        for (const t of cand.tags) {
          try {
            tags.push(familiarString(withDefaultTag(parseNormalizedNamed(t))));
          } catch {
            throw badParameter(`invalid archive: invalid tag ${JSON.stringify(t)}`);
          }
        }
        const rec = await recordImage(stores, { configDigest: cand.configDigest, layers: cand.layers, layerSizes: sizes, tags, ...(cand.parent ? { parent: cand.parent } : {}) });
        lease.addImage(rec.id);
        for (const t of tags) opts.onProgress?.({ stream: `Loaded image: ${t}\n` });
        if (!tags.length) opts.onProgress?.({ stream: `Loaded image ID: ${rec.id}\n` });
        results.push({ id: rec.id, tags });
      }
    } catch (err) {
      await discard(stores, c.created, lease);
      if (err instanceof EngineError) throw err;
      throw new EngineError(400, `load: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    await discard(stores, c.created, lease);
    return { images: results };
  });
}

/**
 * Deletes blobs this load added that no image record needs (OCI manifests, leftovers of a failed load),
 * except those another lease holds (a concurrent pull or load of an image sharing them).
 */
async function discard(stores: ImageStores, created: Set<string>, own: Lease): Promise<void> {
  if (!created.size) return;
  const used = new Set<string>();
  for (const r of await stores.images.records()) {
    used.add(r.id).add(r.manifestDigest);
    for (const l of r.layers) used.add(l.digest);
  }
  const leasedElsewhere = (d: string): boolean => activeLeases(stores).some((l) => l !== own && l.blobs.has(d));
  for (const d of created) if (!used.has(d) && !leasedElsewhere(d)) await stores.content.delete(d).catch(() => {});
}
