// `docker diff` from a container's overlay upper dir, following moby's pkg/archive/changes.go:
// - a 0:0 character device is a whiteout: the path was deleted (Kind 2);
// - an opaque directory replaced its lower namesake: modified, and the lower children are deleted;
// - a path that exists below is modified (a directory only when its mode, owner or mtime differ),
//   anything else was added;
// - the parent of an added or deleted path is modified (except "/").
// The upper dir belongs to a container that may be running and the lowers come from images: both are
// read through confined.ts (inside their own root, no symlink followed on the way), so neither a swap
// nor a symlink in a layer makes this walk read the host.
import path from 'node:path';
import type { ContainerChange } from '../engine/types.js';
import { isWhiteout, lstatIn, opaqueIn, readdirIn, type ConfinedStats } from './confined.js';

const KIND_MODIFIED = 0;
const KIND_ADDED = 1;
const KIND_DELETED = 2;

/** The path as the lowers show it (top-most first); a whiteout hides it. */
function lowerStat(lowers: string[], rel: string): ConfinedStats | null {
  for (const l of lowers) {
    const st = lstatIn(l, rel);
    if (!st) continue;
    return isWhiteout(st) ? null : st;
  }
  return null;
}

/** Names of a directory's entries in the lowers' merged view. */
function lowerChildren(lowers: string[], rel: string): string[] {
  const names = new Set<string>();
  const hidden = new Set<string>();
  for (const l of lowers) {
    const ents = readdirIn(l, rel);
    if (!ents) continue;
    for (const e of ents) {
      if (names.has(e.name) || hidden.has(e.name)) continue;
      if (isWhiteout(e.st)) hidden.add(e.name);
      else names.add(e.name);
    }
    if (opaqueIn(l, rel)) break;
  }
  return [...names];
}

const sameDirMeta = (a: ConfinedStats, b: ConfinedStats): boolean =>
  a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && Math.floor(a.mtimeMs) === Math.floor(b.mtimeMs);

/**
 * Changes of `upper` over `lowers` (top-most lower first). `ignore` lists paths that Berth itself
 * creates in the upper dir (mount points), reported only when they hold something.
 */
export async function containerChanges(upper: string, lowers: string[], ignore: Set<string> = new Set()): Promise<ContainerChange[]> {
  const changes: ContainerChange[] = [];
  const changedDirs = new Set<string>();
  const add = (p: string, kind: 0 | 1 | 2): void => {
    changes.push({ Path: p, Kind: kind });
    if (kind === KIND_ADDED || kind === KIND_DELETED) {
      const parent = path.posix.dirname(p);
      if (parent !== '/' && !changedDirs.has(parent)) {
        changes.push({ Path: parent, Kind: KIND_MODIFIED });
        changedDirs.add(parent);
      }
    }
  };
  let dirs = 0;
  const walk = async (rel: string): Promise<void> => {
    const entries = readdirIn(upper, rel);
    if (!entries) return;
    if (++dirs % 64 === 0) await new Promise<void>((r) => setImmediate(r)); // let other requests in on a big tree
    for (const { name, st } of entries) {
      const r = path.posix.join(rel, name);
      if (isWhiteout(st)) {
        if (lowerStat(lowers, r)) add(r, KIND_DELETED);
        continue;
      }
      const low = lowerStat(lowers, r);
      if (st.isDirectory()) {
        if (ignore.has(r) && !low && (readdirIn(upper, r)?.length ?? 0) === 0) continue;
        // Only recorded directories count as "already changed" for the parent rule (moby's changedDirs).
        if (!low) {
          changedDirs.add(r);
          add(r, KIND_ADDED);
        } else if (st.opaque && low.isDirectory()) {
          if (!changedDirs.has(r)) add(r, KIND_MODIFIED);
          changedDirs.add(r);
          const own = new Set((readdirIn(upper, r) ?? []).map((e) => e.name));
          for (const child of lowerChildren(lowers, r)) if (!own.has(child)) add(path.posix.join(r, child), KIND_DELETED);
        } else if (!low.isDirectory() || !sameDirMeta(st, low)) {
          if (!changedDirs.has(r)) add(r, KIND_MODIFIED);
          changedDirs.add(r);
        }
        await walk(r);
        continue;
      }
      if (ignore.has(r) && !low && st.size === 0) continue;
      add(r, low ? KIND_MODIFIED : KIND_ADDED);
    }
  };
  await walk('/');
  // A directory may have been listed as a parent before its own entry: keep one of each path.
  const seen = new Set<string>();
  return changes.filter((c) => {
    if (seen.has(c.Path)) return false;
    seen.add(c.Path);
    return true;
  });
}
