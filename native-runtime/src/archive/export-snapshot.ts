// `docker export`: the container's flattened filesystem as a tar. Its snapshot (upper dir over the image's
// layers) is mounted read-only as overlay lowers in a private temp dir, walked by exportContainerFs, and
// unmounted as soon as the stream ends, fails or is destroyed. Nothing the container sees changes.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { MNT_DETACH, mountOverlay, umount } from '../native/index.js';
import type { Snapshotter } from '../snapshots/types.js';
import { exportContainerFs } from './export.js';

export async function exportSnapshot(
  snapshots: Snapshotter,
  key: string,
  tmpRoot: string,
  /** lowers: stacked instead of the image's (a user namespace fallback's chowned copies). */
  opts: { initLayer?: string; lowers?: string[] } = {},
): Promise<Readable> {
  const snap = await snapshots.mounts(key);
  const m = opts.lowers && !snap.rootfs ? { ...snap, lower: opts.lowers.map((d) => path.relative(snap.cwd, d)) } : snap;
  // btrfs/vfs: the snapshot is the whole tree (a container's init entries included; containers/init-layer.ts).
  if (m.rootfs) return streamWithCleanup(exportContainerFs(m.rootfs), async () => {});
  // A container's init layer (containers/init-layer.ts) sits between its own layer and the image's, as in
  // dockerd's export.
  const init = opts.initLayer && fs.existsSync(opts.initLayer) ? [path.relative(m.cwd, opts.initLayer)] : [];
  // An active snapshot's upper dir becomes the top lower: the merged view without a writable layer.
  const lower = m.upper ? [path.relative(m.cwd, m.upper), ...init, ...m.lower] : [...init, ...m.lower];
  await fsp.mkdir(tmpRoot, { recursive: true, mode: 0o700 });
  const target = await fsp.mkdtemp(path.join(tmpRoot, 'export-'));
  const done = async (): Promise<void> => {
    try {
      umount(target, MNT_DETACH);
    } catch {
      /* not mounted */
    }
    await fsp.rmdir(target).catch(() => {});
  };
  try {
    if (lower.length === 1) {
      // overlay wants two lowers without an upper; one read-only layer is exported as it is.
      await fsp.rmdir(target);
      return streamWithCleanup(exportContainerFs(path.join(m.cwd, lower[0]!)), async () => {});
    }
    mountOverlay({ cwd: m.cwd, lower, target, readonly: true });
  } catch (e) {
    await done();
    throw e;
  }
  return streamWithCleanup(exportContainerFs(target), done);
}

function streamWithCleanup(s: Readable, cleanup: () => Promise<void>): Readable {
  let once = false;
  const run = (): void => {
    if (once) return;
    once = true;
    void cleanup();
  };
  s.once('end', run);
  s.once('error', run);
  s.once('close', run);
  return s;
}
