// A hand-made image for the layer inspector's tests, with numbers that can be checked by hand:
//   L0 (base)  /etc/base.txt "base\n" (5), /data/keep.txt 1000×k, /data/old.txt 2000×o, /data/sub/deep.bin 3000
//   (ENV step: an empty layer in the history)
//   L1         /big/file 10 MiB of 'a'                      → added
//   L2         /big/file 10 MiB of 'b' (same size)          → modified (content hash)
//              /etc/base.txt "base\nline2\n" (11)           → modified (text, for fileDiff)
//   L3         whiteout /big/.wh.file                        → removed
//   L4         /data made opaque; keep.txt put back unchanged, new.txt 500 added → old.txt and sub removed
import { Readable } from 'node:stream';
import type { ImageStores } from '../src/images/open.ts';
import { hostArchitecture, normalizeContainerConfig } from '../src/images/types.ts';
import { writeLayer } from '../src/layers/write.ts';
import { unpackImage } from '../src/snapshots/unpack.ts';
import { makeTar, type TarEntry } from './layers-helpers.ts';

export const MiB10 = 10 * 1024 * 1024;

const dir = (name: string): TarEntry => ({ name, type: 'directory', mode: 0o755, uid: 0, gid: 0 });
const file = (name: string, body: string | Buffer, mode = 0o644): TarEntry => ({ name, body, mode, uid: 0, gid: 0 });

export const LAYERS: Array<{ createdBy: string; entries: TarEntry[] }> = [
  {
    createdBy: '/bin/sh -c #(nop) ADD base.tar /',
    entries: [
      dir('data/'),
      file('data/keep.txt', 'k'.repeat(1000)),
      file('data/old.txt', 'o'.repeat(2000)),
      dir('data/sub/'),
      file('data/sub/deep.bin', Buffer.alloc(3000, 7)),
      dir('etc/'),
      file('etc/base.txt', 'base\n'),
    ],
  },
  { createdBy: '/bin/sh -c dd of=/big/file # 10 MiB', entries: [dir('big/'), file('big/file', Buffer.alloc(MiB10, 'a'))] },
  {
    createdBy: '/bin/sh -c rewrite /big/file; echo line2 >> /etc/base.txt',
    entries: [dir('big/'), file('big/file', Buffer.alloc(MiB10, 'b')), dir('etc/'), file('etc/base.txt', 'base\nline2\n')],
  },
  { createdBy: '/bin/sh -c rm /big/file', entries: [dir('big/'), file('big/.wh.file', '')] },
  {
    createdBy: '/bin/sh -c rm -rf /data && mkdir /data && …',
    entries: [dir('data/'), file('data/.wh..wh..opq', ''), file('data/keep.txt', 'k'.repeat(1000)), file('data/new.txt', 'n'.repeat(500))],
  },
];

/** Stores the first `count` layers of LAYERS as an image tagged `tag`, unpacked; returns its ID. */
export async function makeInspectorImage(stores: ImageStores, tag: string, count = LAYERS.length): Promise<string> {
  const layers = [];
  const diffIds: string[] = [];
  for (const l of LAYERS.slice(0, count)) {
    const w = await writeLayer(Readable.from([await makeTar(l.entries)]), stores.content);
    layers.push({ mediaType: w.mediaType, digest: w.digest, size: w.size });
    diffIds.push(w.diffId);
  }
  const { sizes } = await unpackImage(stores.snapshots, stores.content, layers.map((l, i) => ({ digest: l.digest, diffId: diffIds[i]! })));
  const created = '2024-01-02T03:04:05Z';
  const history = LAYERS.slice(0, count).map((l) => ({ created, created_by: l.createdBy }));
  history.splice(1, 0, { created, created_by: '/bin/sh -c #(nop)  ENV A=1', empty_layer: true } as (typeof history)[number]);
  const rec = await stores.images.create({
    config: {
      architecture: hostArchitecture(),
      os: 'linux',
      created,
      config: normalizeContainerConfig({ Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'] }),
      history,
      rootfs: { type: 'layers', diff_ids: diffIds },
    },
    layers,
    layerSizes: sizes,
    tags: [tag],
  });
  return rec.id;
}
