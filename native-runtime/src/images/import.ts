// importRootfs: `docker import` — one layer from a rootfs tar, plus a config built from --change lines.
import { Transform } from 'node:stream';
import { withLease, type Lease } from '../archive/lease.js';
import { decompressed, type ByteStream } from '../layers/compression.js';
import { writeLayer } from '../layers/write.js';
import { chainId } from '../snapshots/chain.js';
import { unpackImage } from '../snapshots/unpack.js';
import { applyChanges } from './changes.js';
import type { ImageStores } from './open.js';
import { rfc3339Nano } from './time.js';
import { hostArchitecture, normalizeContainerConfig, type ImageConfig } from './types.js';

export interface ImportProgress {
  phase: 'reading' | 'unpacking' | 'done';
  /** Uncompressed bytes read so far. */
  bytes: number;
}

export interface ImportOptions {
  repo?: string;
  tag?: string;
  changes?: string[];
  /** Commit message; Docker's default is "Imported from <source>". */
  message?: string;
  /** "-" for a stream, or the URL it came from. */
  source?: string;
  onProgress?: (p: ImportProgress) => void;
}

export async function importRootfs(stores: ImageStores, tarStream: ByteStream, opts: ImportOptions = {}): Promise<string> {
  // The lease keeps a concurrent image removal or gc from taking the new layer before the record exists.
  return withLease(stores, 'import', (lease) => importLeased(stores, tarStream, opts, lease));
}

async function importLeased(stores: ImageStores, tarStream: ByteStream, opts: ImportOptions, lease: Lease): Promise<string> {
  // Parse the changes first so a bad --change fails before any bytes are stored.
  const config = applyChanges(normalizeContainerConfig(), opts.changes ?? []);
  const plain = await decompressed(tarStream);
  let bytes = 0;
  let lastReport = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      bytes += chunk.length;
      if (bytes - lastReport >= 1 << 20) {
        lastReport = bytes;
        opts.onProgress?.({ phase: 'reading', bytes });
      }
      cb(null, chunk);
    },
  });
  plain.on('error', (e) => counter.destroy(e));
  const layer = await writeLayer(plain.pipe(counter), stores.content);
  lease.addBlob(layer.digest);
  lease.addSnapshot(chainId(undefined, layer.diffId));
  opts.onProgress?.({ phase: 'unpacking', bytes });
  const { sizes } = await unpackImage(stores.snapshots, stores.content, [{ digest: layer.digest, diffId: layer.diffId }]);

  const message = opts.message || `Imported from ${opts.source ?? '-'}`;
  const created = rfc3339Nano();
  const imageConfig: ImageConfig = {
    architecture: hostArchitecture(),
    comment: message,
    config,
    container_config: normalizeContainerConfig(),
    created,
    history: [{ created, comment: message }],
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
  };
  const tags = opts.repo ? [`${opts.repo}${opts.tag ? ':' + opts.tag : ''}`] : [];
  const rec = await stores.images.create({
    config: imageConfig,
    layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
    layerSizes: sizes,
    tags,
  });
  opts.onProgress?.({ phase: 'done', bytes });
  return rec.id;
}
