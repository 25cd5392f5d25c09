// docker cp of a running container in a user namespace: the addon sees its files through the idmapped
// rootfs, i.e. with host ids. Tars leave with container-relative ids and arrive with host ones, as
// dockerd maps them with its IdentityMapping (ToContainer / ToHost).
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { ContainerIdRange } from './allocator.js';

/** Container id → host id; ids beyond the range stay (the kernel refuses them anyway). */
export const toHost = (r: Pick<ContainerIdRange, 'uid' | 'gid' | 'size'>) => (uid: number, gid: number): [number, number] => [
  uid < r.size ? uid + r.uid : uid,
  gid < r.size ? gid + r.gid : gid,
];

/** Host id → container id; an id outside the range is the overflow id, as the container sees it. */
export const toContainer = (r: Pick<ContainerIdRange, 'uid' | 'gid' | 'size'>) => (uid: number, gid: number): [number, number] => [
  uid >= r.uid && uid < r.uid + r.size ? uid - r.uid : 65534,
  gid >= r.gid && gid < r.gid + r.size ? gid - r.gid : 65534,
];

/** Copies the tar at `from` to `to` with every entry's owner mapped. */
export async function mapTarIds(from: string, to: string, map: (uid: number, gid: number) => [number, number]): Promise<void> {
  const extract = tar.extract();
  const pack = tar.pack();
  extract.on('entry', (header, stream, next) => {
    const [uid, gid] = map(header.uid ?? 0, header.gid ?? 0);
    stream.pipe(pack.entry({ ...header, uid, gid }, next));
  });
  extract.on('finish', () => pack.finalize());
  await Promise.all([pipeline(createReadStream(from), extract), pipeline(pack, createWriteStream(to, { mode: 0o600 }))]);
}
