// A build context folder as the tar the Engine API's build takes, leaving out what .dockerignore
// excludes (as the docker CLI does on its side) and Berth's own .berth/ folder. Symlinks travel as links.
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { PatternMatcher, isExcluded, readDockerignore } from '../builder/dockerignore.js';
import { asNodeReadable } from '../util/node-streams.js';

export function contextTar(dir: string, dockerfile = 'Dockerfile'): Readable {
  let ignore: string[] = [];
  try {
    ignore = readDockerignore(fs.readFileSync(path.join(dir, '.dockerignore')));
  } catch {
    // no .dockerignore
  }
  const pm = new PatternMatcher([...ignore, '.berth']);
  const pack = tar.pack();
  type Header = Parameters<typeof pack.entry>[0];
  const add = (header: Header, body?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      if (body) pack.entry(header, body, (e) => (e ? reject(e) : resolve()));
      else pack.entry(header, (e) => (e ? reject(e) : resolve()));
    });
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(dir, rel);
    for (const e of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (isExcluded(r, pm, dockerfile)) continue;
      const st = fs.lstatSync(path.join(dir, r));
      const base = { name: r, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
      if (st.isSymbolicLink()) await add({ ...base, type: 'symlink', linkname: fs.readlinkSync(path.join(dir, r)) });
      else if (st.isDirectory()) {
        await add({ ...base, type: 'directory' });
        await walk(r);
      } else if (st.isFile()) await add({ ...base, type: 'file', size: st.size }, fs.readFileSync(path.join(dir, r)));
    }
  };
  walk('').then(
    () => pack.finalize(),
    (err: Error) => pack.destroy(err),
  );
  return asNodeReadable(pack);
}
