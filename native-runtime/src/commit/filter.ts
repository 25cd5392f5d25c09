// A layer tar without some entries: used when committing a running container whose upper dir holds
// the runtime's own mount targets, which cannot be deleted while they are mounted. Also maps owners
// (a user namespace fallback's upper holds host ids; layers carry the container's).
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { asNodeWritable } from '../util/node-streams.js';

/**
 * Re-packs `src` without the entries whose clean name (no trailing `/`) is in `drop`, and with each
 * owner passed through mapIds when given (a user namespace fallback's upper holds host ids).
 */
export function withoutEntries(src: Readable, drop: ReadonlySet<string>, mapIds?: (uid: number, gid: number) => [number, number]): Readable {
  const extract = tar.extract();
  const pack = tar.pack();
  extract.on('entry', (header, body, next) => {
    const name = header.name.replace(/\/+$/, '');
    if (drop.has(name)) {
      body.on('end', () => next());
      body.resume();
      return;
    }
    const [uid, gid] = mapIds ? mapIds(header.uid ?? 0, header.gid ?? 0) : [header.uid, header.gid];
    body.pipe(pack.entry({ ...header, uid, gid }, (err) => (err ? extract.destroy(err) : next())));
  });
  extract.on('finish', () => pack.finalize());
  extract.on('error', (e) => pack.destroy(e));
  src.on('error', (e) => extract.destroy(e));
  src.pipe(asNodeWritable(extract));
  return Readable.from(pack as AsyncIterable<Buffer>);
}
