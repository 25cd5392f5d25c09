// writeLayer: gzip a layer tar into the content store, hashing the plain tar (diffID) and the gzip
// (blob digest) in the same pass.
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { ContentStore } from '../content/types.js';
import { randomHex } from '../util/ids.js';
import { MEDIA_TYPES } from '../images/types.js';

export interface WrittenLayer {
  /** Digest of the gzip blob (what manifests list). */
  digest: string;
  /** Digest of the uncompressed tar (what configs list). */
  diffId: string;
  /** Size of the gzip blob. */
  size: number;
  /** Size of the uncompressed tar. */
  tarSize: number;
  mediaType: string;
}

export async function writeLayer(
  tarStream: AsyncIterable<Uint8Array | string>,
  store: ContentStore,
  opts: { level?: number } = {},
): Promise<WrittenLayer> {
  const hash = createHash('sha256');
  let tarSize = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      tarSize += chunk.length;
      cb(null, chunk);
    },
  });
  const src = tarStream instanceof Readable ? tarStream : Readable.from(tarStream);
  const gzip = createGzip({ level: opts.level ?? 6 });
  src.on('error', (e) => hasher.destroy(e));
  hasher.on('error', (e) => gzip.destroy(e));
  src.pipe(hasher).pipe(gzip);
  const info = await store.ingest(`layer-${randomHex(8)}`, gzip);
  return { digest: info.digest, diffId: 'sha256:' + hash.digest('hex'), size: info.size, tarSize, mediaType: MEDIA_TYPES.dockerLayerGzip };
}
