// Reads a file of a container's rootfs without mounting it: the upper dir first, then each lower
// (top-most first), honouring overlay whiteouts (a 0:0 character device hides what is below).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { OverlayMounts } from '../snapshots/types.js';

export function layerDirs(m: OverlayMounts): string[] {
  const dirs = m.lower.map((l) => path.resolve(m.cwd, l));
  return m.upper ? [m.upper, ...dirs] : dirs;
}

/** The file's text from the top-most layer that has it, or null. */
export async function readRootfsFile(layers: string[], file: string): Promise<string | null> {
  const rel = path.posix.normalize(file).replace(/^\/+/, '');
  for (const dir of layers) {
    const p = path.join(dir, rel);
    let st;
    try {
      st = await fsp.lstat(p);
    } catch {
      continue;
    }
    if (st.isCharacterDevice() && st.rdev === 0) return null; // whiteout
    if (!st.isFile()) return null;
    return fsp.readFile(p, 'utf8');
  }
  return null;
}
