// exportContainerFs: `docker export` — a flattened tar of a directory tree (a container's merged rootfs;
// the caller mounts it and passes the mount point). Entries in byte order of their names, hardlinks kept,
// streamed. Fifos and device nodes are entries, sockets are skipped (as in a layer tar, and as dockerd's
// export does).
import type { Readable } from 'node:stream';
import { diffDirectory } from '../layers/diff.js';

export function exportContainerFs(rootDir: string, opts: { onSkip?: (rel: string, reason: string) => void } = {}): Readable {
  // On a merged overlay view there are no whiteouts or opaque markers left, so the layer writer's walk is
  // exactly a flattened export.
  return diffDirectory(rootDir, opts);
}
