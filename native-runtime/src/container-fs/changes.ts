// `docker diff` from a container's overlay upper dir, following moby's pkg/archive/changes.go:
// - a 0:0 character device is a whiteout: the path was deleted (Kind 2);
// - an opaque directory replaced its lower namesake: modified, and the lower children are deleted;
// - a path that exists below is modified (a directory only when its mode, owner or mtime differ),
//   anything else was added;
// - the parent of an added or deleted path is modified (except "/").
import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import type { ContainerChange } from '../engine/types.js';
import { getxattr } from '../native/index.js';

const KIND_MODIFIED = 0;
const KIND_ADDED = 1;
const KIND_DELETED = 2;

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await fsp.lstat(p);
  } catch {
    return null;
  }
}

const isWhiteout = (st: Stats): boolean => st.isCharacterDevice() && st.rdev === 0;

/** The path as the lowers show it (top-most first); a whiteout hides it. */
async function lowerStat(lowers: string[], rel: string): Promise<Stats | null> {
  for (const l of lowers) {
    const st = await lstatOrNull(path.join(l, rel));
    if (!st) continue;
    return isWhiteout(st) ? null : st;
  }
  return null;
}

/** Names of a directory's entries in the lowers' merged view. */
async function lowerChildren(lowers: string[], rel: string): Promise<string[]> {
  const names = new Set<string>();
  const hidden = new Set<string>();
  for (const l of lowers) {
    let ents;
    try {
      ents = await fsp.readdir(path.join(l, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of ents) {
      if (names.has(e.name) || hidden.has(e.name)) continue;
      if (e.isCharacterDevice()) {
        const st = await lstatOrNull(path.join(l, rel, e.name));
        if (st && isWhiteout(st)) {
          hidden.add(e.name);
          continue;
        }
      }
      names.add(e.name);
    }
    const here = await lstatOrNull(path.join(l, rel));
    if (here && isOpaque(path.join(l, rel))) break;
  }
  return [...names];
}

function isOpaque(dir: string): boolean {
  try {
    return getxattr(dir, 'trusted.overlay.opaque')?.toString() === 'y';
  } catch {
    return false;
  }
}

const sameDirMeta = (a: Stats, b: Stats): boolean =>
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
  const walk = async (rel: string): Promise<void> => {
    let names: string[];
    try {
      names = (await fsp.readdir(path.join(upper, rel))).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const r = path.posix.join(rel, name);
      const abs = path.join(upper, r);
      const st = await lstatOrNull(abs);
      if (!st) continue;
      if (isWhiteout(st)) {
        if (await lowerStat(lowers, r)) add(r, KIND_DELETED);
        continue;
      }
      const low = await lowerStat(lowers, r);
      if (st.isDirectory()) {
        if (ignore.has(r) && !low && (await fsp.readdir(abs)).length === 0) continue;
        const opaque = isOpaque(abs);
        // Only recorded directories count as "already changed" for the parent rule (moby's changedDirs).
        if (!low) {
          changedDirs.add(r);
          add(r, KIND_ADDED);
        } else if (opaque && low.isDirectory()) {
          if (!changedDirs.has(r)) add(r, KIND_MODIFIED);
          changedDirs.add(r);
          const own = new Set(await fsp.readdir(abs));
          for (const child of await lowerChildren(lowers, r)) if (!own.has(child)) add(path.posix.join(r, child), KIND_DELETED);
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
    const k = `${c.Kind}:${c.Path}`;
    if (seen.has(c.Path)) return false;
    seen.add(c.Path);
    return !!k;
  });
}
