// Docker's copy-up: a volume that is empty when first mounted gets the image's content at the mount
// path, with owners, modes and links kept. The container's layers are mounted read-only (overlay, so
// whiteouts and opaque dirs mean what they mean in the container) and copied with `cp -a`.
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { internal } from '../errors.js';
import { MNT_DETACH, mount, mountOverlay, MS_BIND, umount } from '../native/index.js';
import type { OverlayMounts } from '../snapshots/types.js';
import { randomHex } from '../util/ids.js';

const run = promisify(execFile);

export async function isEmptyDir(dir: string): Promise<boolean> {
  return (await fsp.readdir(dir)).length === 0;
}

/** Copies `dest` of the container's rootfs into `dataDir` when it is a directory there. */
export async function copyUp(overlay: OverlayMounts, scratchDir: string, dest: string, dataDir: string): Promise<boolean> {
  const target = path.join(scratchDir, `.copyup-${randomHex(6)}`);
  await fsp.mkdir(target, { recursive: true, mode: 0o700 });
  try {
    // Read-only, lowers plus the (fresh) upper: nothing is written, so the work dir stays untouched.
    const lower = overlay.upper ? [path.relative(overlay.cwd, overlay.upper), ...overlay.lower] : overlay.lower;
    if (overlay.rootfs) mount(overlay.rootfs, target, '', MS_BIND); // btrfs/vfs: a whole tree; cp only reads
    else mountOverlay({ cwd: overlay.cwd, lower, target, readonly: true });
    try {
      const src = path.join(target, dest);
      // Resolve inside the mount only: an absolute symlink must not lead to the host's files.
      const st = await fsp.lstat(src).catch(() => null);
      if (!st?.isDirectory()) return false;
      await run('cp', ['-a', '--', `${src}/.`, `${dataDir}/`]);
      // The volume's root takes the mode and owner of the image's directory, as Docker does.
      await fsp.chmod(dataDir, st.mode & 0o7777);
      await fsp.chown(dataDir, st.uid, st.gid);
      return true;
    } finally {
      umount(target, MNT_DETACH);
    }
  } catch (e) {
    throw internal(`copying the image's content at ${dest} into the volume failed: ${(e as Error).message}`, e);
  } finally {
    await fsp.rmdir(target).catch(() => {});
  }
}
