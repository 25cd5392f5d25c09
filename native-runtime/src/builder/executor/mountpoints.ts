// What the runtime itself leaves in a container's upper dir: the shim creates the mount targets it
// needs (/etc/hosts, /etc/hostname, /etc/resolv.conf, /proc, /sys, /dev) when the image lacks them,
// and overlay copies their parent directory up to do so. Docker keeps these in a separate "init"
// layer that is never committed; Berth finds them afterwards and leaves them out of the layer.
// The upper dir belongs to a container (which may still run, for commit) and the lowers come from
// images: every look goes through container-fs/confined.ts (inside its own root, no symlink followed on
// the way), so a symlink the container or an image planted never leads to the host.
import path from 'node:path';
import { isWhiteout, lstatIn, opaqueIn, readdirIn, type ConfinedStats } from '../../container-fs/confined.js';
import { removeTree } from '../../native/index.js';

export const RUNTIME_MOUNT_TARGETS = ['etc/hosts', 'etc/hostname', 'etc/resolv.conf', 'proc', 'sys', 'dev'] as const;

function inLowers(lowers: readonly string[], rel: string): ConfinedStats | null {
  for (const l of lowers) {
    const st = lstatIn(l, rel);
    if (st) return isWhiteout(st) ? null : st;
  }
  return null;
}

/**
 * Paths (relative, deepest first) in `upper` that only exist because the runtime created mount
 * targets: an empty file or directory at a mount target that no lower layer has, and a parent that
 * was copied up for it and is otherwise unchanged (same mode and owner as below, empty, not opaque).
 */
export async function runtimeArtifacts(upper: string, lowers: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const parents = new Set<string>();
  for (const rel of RUNTIME_MOUNT_TARGETS) {
    const st = lstatIn(upper, rel);
    if (!st) continue;
    const empty = st.isFile() ? st.size === 0 : st.isDirectory() ? (readdirIn(upper, rel) ?? []).length === 0 : false;
    if (!empty || inLowers(lowers, rel)) continue;
    out.push(rel);
    if (rel.includes('/')) parents.add(path.posix.dirname(rel));
  }
  for (const dir of parents) {
    const st = lstatIn(upper, dir);
    const below = inLowers(lowers, dir);
    if (!st?.isDirectory() || !below?.isDirectory()) continue;
    if (st.mode !== below.mode || st.uid !== below.uid || st.gid !== below.gid) continue;
    const left = (readdirIn(upper, dir) ?? []).filter((e) => !out.includes(`${dir}/${e.name}`));
    if (left.length) continue;
    if (opaqueIn(upper, dir)) continue;
    out.push(dir);
  }
  return out;
}

/** Deletes the artifacts from an upper dir whose container has exited (nothing else changes it now). */
export async function removeRuntimeArtifacts(upper: string, lowers: readonly string[]): Promise<void> {
  // Each was just found with no symlink on its way, and nothing runs in the container to plant one.
  for (const rel of await runtimeArtifacts(upper, lowers)) await removeTree(path.join(upper, rel));
}
