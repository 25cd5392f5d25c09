// Records an image whose config (and maybe manifest) bytes came from elsewhere (a registry, an archive).
// The image ID must stay the digest of the config bytes as received. ImageStore.create() re-serialises the
// config, which keeps the bytes only when they already are in Berth's canonical form; for anything else we
// write the record (same format as ImageStore's, docs/runtime.md) ourselves. See the report: ImageStore
// should grow an adopt() for this.
import path from 'node:path';
import { EngineError } from '../errors.js';
import type { ImageStores } from '../images/open.js';
import type { ImageRecord } from '../images/store.js';
import { MEDIA_TYPES, normalizeImageConfig, type Descriptor, type ImageConfig, type Manifest } from '../images/types.js';
import { readJsonOr, writeJsonAtomic } from '../util/atomic.js';
import { hexOf, sha256Digest } from '../util/ids.js';

export const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';

/** Docker schema2 media type for a layer of any known format (what Docker pushes). */
export function dockerLayerType(mt: string): string {
  switch (mt) {
    case MEDIA_TYPES.dockerLayerGzip:
    case MEDIA_TYPES.ociLayerGzip:
      return MEDIA_TYPES.dockerLayerGzip;
    case DOCKER_LAYER_TAR:
    case MEDIA_TYPES.ociLayer:
      return DOCKER_LAYER_TAR;
    case MEDIA_TYPES.dockerLayerForeign:
    case 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip':
      throw new EngineError(400, 'foreign (non-distributable) layers are not supported');
    default:
      throw new EngineError(400, `unsupported layer media type ${mt}`);
  }
}

export function ociLayerType(mt: string): string {
  return dockerLayerType(mt) === DOCKER_LAYER_TAR ? MEDIA_TYPES.ociLayer : MEDIA_TYPES.ociLayerGzip;
}

/** The schema2 manifest ImageStore.create() would write, byte for byte. */
export function canonicalManifest(config: Pick<Descriptor, 'digest' | 'size'>, layers: Descriptor[]): Buffer {
  const m: Manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.dockerManifest,
    config: { mediaType: MEDIA_TYPES.dockerConfig, size: config.size, digest: config.digest },
    layers: layers.map((l) => ({ mediaType: dockerLayerType(l.mediaType), size: l.size, digest: l.digest })),
  };
  return Buffer.from(JSON.stringify(m));
}

export interface RecordInput {
  /** Config blob, already in the content store. */
  configDigest: string;
  /** Layer blobs, already in the content store, bottom first. */
  layers: Descriptor[];
  layerSizes: number[];
  /** The manifest as received (already stored), when there is one to keep. */
  manifest?: { digest: string; mediaType: string; bytes: Buffer };
  /** Familiar or full references (`name:tag` or `name@digest`). */
  tags?: string[];
}

export async function recordImage(stores: ImageStores, input: RecordInput): Promise<ImageRecord> {
  const { content, images } = stores;
  const cfgBytes = await content.readBuffer(input.configDigest);
  const config = JSON.parse(cfgBytes.toString('utf8')) as ImageConfig;
  if (!config.rootfs || !Array.isArray(config.rootfs.diff_ids)) throw new EngineError(400, `image config ${input.configDigest} has no rootfs.diff_ids`);
  if (config.rootfs.diff_ids.length !== input.layers.length) {
    throw new EngineError(400, `image config lists ${config.rootfs.diff_ids.length} layers but the manifest has ${input.layers.length}`);
  }
  const layers = input.layers.map((l) => ({ mediaType: dockerLayerType(l.mediaType), size: l.size, digest: l.digest }));
  const canonical = canonicalManifest({ digest: input.configDigest, size: cfgBytes.length }, layers);
  let viaCreate = false;
  try {
    viaCreate = Buffer.from(JSON.stringify(normalizeImageConfig(config))).equals(cfgBytes);
  } catch {
    viaCreate = false;
  }
  if (viaCreate && input.manifest && !input.manifest.bytes.equals(canonical)) viaCreate = false;

  let rec: ImageRecord;
  if (viaCreate) {
    rec = await images.create({ config, layers, layerSizes: input.layerSizes });
  } else {
    let manifestDigest: string;
    let manifestMediaType: string;
    if (input.manifest) {
      manifestDigest = input.manifest.digest;
      manifestMediaType = input.manifest.mediaType;
    } else {
      manifestDigest = sha256Digest(canonical);
      manifestMediaType = MEDIA_TYPES.dockerManifest;
      if (!(await content.has(manifestDigest))) await content.ingest(`manifest-${hexOf(manifestDigest)}`, canonical, { digest: manifestDigest, size: canonical.length });
    }
    const file = path.join(images.root, 'meta', `${hexOf(input.configDigest)}.json`);
    const existing = await readJsonOr<ImageRecord | null>(file, null);
    rec = existing ?? {
      id: input.configDigest,
      manifestDigest,
      manifestMediaType,
      layers: input.manifest ? (JSON.parse(input.manifest.bytes.toString('utf8')) as Manifest).layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })) : layers,
      diffIds: [...config.rootfs.diff_ids],
      layerSizes: input.layerSizes,
      created: config.created ?? '',
    };
    if (existing) rec.layerSizes = input.layerSizes;
    await writeJsonAtomic(file, rec, 0o600);
  }
  for (const t of input.tags ?? []) await images.tag(rec.id, t);
  return (await images.find(rec.id)) ?? rec;
}
