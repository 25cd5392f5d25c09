// What the runtime itself leaves in a container's upper dir: the shim creates the mount targets it
// needs (/etc/hosts, /etc/hostname, /etc/resolv.conf, /proc, /sys, /dev) when the image lacks them,
// and overlay copies their parent directory up to do so. Docker keeps these in a separate "init"
// layer that is never committed; Berth finds them afterwards and leaves them out of the layer.
import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { getxattr } from '../../native/index.js';

export const RUNTIME_MOUNT_TARGETS = ['etc/hosts', 'etc/hostname', 'etc/resolv.conf', 'proc', 'sys', 'dev'] as const;

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await fsp.lstat(p);
  } catch {
    return null;
  }
}

async function inLowers(lowers: readonly string[], rel: string): Promise<Stats | null> {
  for (const l of lowers) {
    const st = await lstatOrNull(path.join(l, rel));
    if (st) return st.isCharacterDevice() && st.rdev === 0 ? null : st;
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
    const st = await lstatOrNull(path.join(upper, rel));
    if (!st) continue;
    const empty = st.isFile() ? st.size === 0 : st.isDirectory() ? (await fsp.readdir(path.join(upper, rel))).length === 0 : false;
    if (!empty || (await inLowers(lowers, rel))) continue;
    out.push(rel);
    if (rel.includes('/')) parents.add(path.posix.dirname(rel));
  }
  for (const dir of parents) {
    const abs = path.join(upper, dir);
    const st = await lstatOrNull(abs);
    const below = await inLowers(lowers, dir);
    if (!st?.isDirectory() || !below?.isDirectory()) continue;
    if (st.mode !== below.mode || st.uid !== below.uid || st.gid !== below.gid) continue;
    const left = (await fsp.readdir(abs)).filter((n) => !out.includes(`${dir}/${n}`));
    if (left.length) continue;
    const opaque = getxattr(abs, 'trusted.overlay.opaque');
    if (opaque && opaque.toString() === 'y') continue;
    out.push(dir);
  }
  return out;
}

/** Deletes the artifacts from an upper dir whose container has exited. */
export async function removeRuntimeArtifacts(upper: string, lowers: readonly string[]): Promise<void> {
  for (const rel of await runtimeArtifacts(upper, lowers)) await fsp.rm(path.join(upper, rel), { recursive: true, force: true });
}
