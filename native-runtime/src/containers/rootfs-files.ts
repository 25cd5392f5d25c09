// Reads a file of a container's rootfs without mounting it: the upper dir first, then each lower
// (top-most first), honouring overlay whiteouts (a 0:0 character device hides what is below).
import fs from 'node:fs';
import path from 'node:path';
import type { OverlayMounts } from '../snapshots/types.js';

/**
 * The snapshot's mounts with the lowers the container stacks: the image's layers, or in the user
 * namespace fallback their chowned copies (record.ts usernsLowers), so every layer holds host ids.
 */
export function containerLowers(m: OverlayMounts, cfg: { usernsLowers?: string[] }): OverlayMounts {
  // Relative to cwd, as the image's own: overlay's options must fit in a page.
  return cfg.usernsLowers && !m.rootfs ? { ...m, lower: cfg.usernsLowers.map((d) => path.relative(m.cwd, d)) } : m;
}

export function layerDirs(m: OverlayMounts): string[] {
  if (m.rootfs) return [m.rootfs]; // btrfs/vfs: one complete tree
  const dirs = m.lower.map((l) => path.resolve(m.cwd, l));
  return m.upper ? [m.upper, ...dirs] : dirs;
}

/**
 * The file's text from the top-most layer that has it, or null. Synchronous: /etc/passwd and /etc/group
 * are read on every start, and a lstat per layer through the thread pool costs more than the reads.
 */
export async function readRootfsFile(layers: string[], file: string): Promise<string | null> {
  const rel = path.posix.normalize(file).replace(/^\/+/, '');
  for (const dir of layers) {
    const p = path.join(dir, rel);
    let st;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.isCharacterDevice() && st.rdev === 0) return null; // whiteout
    if (!st.isFile()) return null;
    return fs.readFileSync(p, 'utf8');
  }
  return null;
}
