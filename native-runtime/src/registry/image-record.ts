// Records an image whose config (and maybe manifest) bytes came from elsewhere (a registry, an archive).
// The image ID must stay the digest of the config bytes as received, so nothing is re-encoded: the bytes
// already in the content store are adopted as they are (ImageStore.adopt). Only when there is no manifest
// (a docker-archive names just config and layers) is one made, in the form ImageStore.create() writes.
import { EngineError } from '../errors.js';
import { ImageError } from '../images/errors.js';
import type { ImageStores } from '../images/open.js';
import type { ImageRecord } from '../images/store.js';
import { MEDIA_TYPES, type Descriptor, type ImageConfig, type Manifest } from '../images/types.js';
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
  /** Familiar or full `name[:tag]` references. */
  tags?: string[];
  /** `name@sha256:…` references. */
  repoDigests?: string[];
  /** Local parent image ID (pre-1.10 archives), for history and ParentId. */
  parent?: string;
}

export async function recordImage(stores: ImageStores, input: RecordInput): Promise<ImageRecord> {
  const { content, images } = stores;
  const cfgInfo = await content.info(input.configDigest);
  const config = await content.readJson<ImageConfig>(input.configDigest).catch(() => {
    throw new EngineError(400, `image config ${input.configDigest} is not valid JSON`);
  });
  if (!config.rootfs || !Array.isArray(config.rootfs.diff_ids)) throw new EngineError(400, `image config ${input.configDigest} has no rootfs.diff_ids`);
  if (config.rootfs.diff_ids.length !== input.layers.length) {
    throw new EngineError(400, `image config lists ${config.rootfs.diff_ids.length} layers but the manifest has ${input.layers.length}`);
  }
  let manifestDigest: string;
  let manifestMediaType: string;
  let layers: Descriptor[];
  if (input.manifest) {
    manifestDigest = input.manifest.digest;
    manifestMediaType = input.manifest.mediaType;
    layers = (JSON.parse(input.manifest.bytes.toString('utf8')) as Manifest).layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest }));
  } else {
    layers = input.layers.map((l) => ({ mediaType: dockerLayerType(l.mediaType), size: l.size, digest: l.digest }));
    const canonical = canonicalManifest({ digest: input.configDigest, size: cfgInfo.size }, layers);
    manifestDigest = sha256Digest(canonical);
    manifestMediaType = MEDIA_TYPES.dockerManifest;
    if (!(await content.has(manifestDigest))) await content.ingest(`manifest-${hexOf(manifestDigest)}`, canonical, { digest: manifestDigest, size: canonical.length });
  }
  try {
    return await images.adopt({
      configDigest: input.configDigest,
      manifestDigest,
      manifestMediaType,
      layers,
      diffIds: [...config.rootfs.diff_ids],
      layerSizes: input.layerSizes,
      tags: input.tags ?? [],
      repoDigests: input.repoDigests ?? [],
      ...(input.parent ? { parent: input.parent } : {}),
    });
  } catch (e) {
    if (e instanceof ImageError) throw new EngineError(e.statusCode, e.message, { cause: e });
    throw e;
  }
}
