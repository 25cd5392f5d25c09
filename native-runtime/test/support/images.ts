// A hand-made 3-layer image (ImageStore + writeLayer), for registry and archive tests.
import { Readable } from 'node:stream';
import type { ImageStores } from '../../src/images/open.js';
import { hostArchitecture, normalizeContainerConfig } from '../../src/images/types.js';
import { writeLayer } from '../../src/layers/write.js';
import { makeTar } from '../layers-helpers.js';

/** layer<i>/file.txt holds "layer <i> of <seed>"; layer 2 also overwrites layer0/file.txt. */
export async function makeMultiLayerImage(stores: ImageStores, tag: string, seed = 'x'): Promise<string> {
  const layers = [];
  const diffIds = [];
  for (let i = 0; i < 3; i++) {
    const tarBuf = await makeTar([
      { name: `layer${i}/`, type: 'directory', mode: 0o755 },
      { name: `layer${i}/file.txt`, body: `layer ${i} of ${seed}\n`, mode: 0o644 },
      ...(i === 2 ? [{ name: 'layer0/file.txt', body: 'overwritten by layer 2\n', mode: 0o600 }] : []),
    ]);
    const w = await writeLayer(Readable.from([tarBuf]), stores.content);
    layers.push({ mediaType: w.mediaType, digest: w.digest, size: w.size });
    diffIds.push(w.diffId);
  }
  const created = '2024-01-02T03:04:05Z';
  const rec = await stores.images.create({
    config: {
      architecture: hostArchitecture(),
      os: 'linux',
      created,
      config: normalizeContainerConfig({ Env: ['PATH=/bin'], Cmd: ['sh'] }),
      history: diffIds.map((d, i) => ({ created, created_by: `layer ${i} ${d.slice(7, 19)}` })),
      rootfs: { type: 'layers', diff_ids: diffIds },
    },
    layers,
    tags: [tag],
  });
  return rec.id;
}

