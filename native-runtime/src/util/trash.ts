// Removing a directory tree on a request path: one rename into a trash directory on the same
// filesystem now, the recursive delete in the background. The path is gone at once (a crash leaves the
// tree in the trash, emptied at the next start); deleting a container's files cost 2-5 ms per rm.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { randomHex } from './ids.js';

const pending = new Set<Promise<void>>();

function track(p: Promise<void>): void {
  pending.add(p);
  void p.finally(() => pending.delete(p));
}

function removeTree(dir: string): Promise<void> {
  return fsp.rm(dir, { recursive: true, force: true }).catch((err: Error) => {
    process.emitWarning(`deleting ${dir} failed: ${err.message}`);
  });
}

/** Moves dir into trashDir (a sibling on the same filesystem) and deletes it in the background. */
export function discardDir(dir: string, trashDir: string): void {
  fs.mkdirSync(trashDir, { recursive: true, mode: 0o700 });
  const aside = path.join(trashDir, `${path.basename(dir)}-${randomHex(4)}`);
  try {
    fs.renameSync(dir, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  track(removeTree(aside));
}

/** Deletes what a crash left in trashDir, in the background. */
export function emptyTrash(trashDir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(trashDir);
  } catch {
    return;
  }
  for (const n of names) track(removeTree(path.join(trashDir, n)));
}

/** Resolves when every background delete begun so far has finished. */
export async function flushTrash(): Promise<void> {
  while (pending.size) await Promise.all([...pending]);
}
