// Classifies the entries of a container's upper dir as `docker diff` does (the rules of
// src/container-fs/changes.ts, made incremental): one directory at a time, and with the lowers only
// ever *stat*ed at the specific paths the upper dir holds. Lower layers are committed snapshots and
// never change, so each lower answer is cached for the watcher's life; a million-file lower layer
// costs nothing until the container touches one of its paths.
// The upper dir belongs to a running container: it is read through container-fs/confined.ts (inside
// its root, no symlink followed on the way), so a directory swapped for a symlink to a host path
// between two looks never makes this list the host's files.
import path from 'node:path';
import { isWhiteout, lstatIn, opaqueIn, readdirIn, type ConfinedStats as Stats } from '../../container-fs/confined.js';
import type { LiveChange } from '../types.js';

export type RawChange = LiveChange;

/** Paths the shim creates in the upper dir as mount points (as ContainerServices.changes ignores them). */
export const MOUNT_POINTS = new Set(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/proc', '/sys', '/dev']);


function typeName(st: Stats): LiveChange['type'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return st.rdev === 0 ? 'whiteout' : 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'socket';
}

const sameDirMeta = (a: Stats, b: Stats): boolean =>
  a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && Math.floor(a.mtimeMs) === Math.floor(b.mtimeMs);

export class LowerView {
  private readonly stats = new Map<string, Stats | null>();
  /** How many lower paths were stat'ed (for tests: proof the lowers are not rescanned). */
  lowerStats = 0;

  constructor(readonly lowers: readonly string[]) {}

  /** The path as the lowers show it (top-most first); a whiteout hides it. Cached. */
  stat(rel: string): Stats | null {
    if (this.stats.has(rel)) return this.stats.get(rel)!;
    let out: Stats | null = null;
    for (const l of this.lowers) {
      this.lowerStats++;
      const st = lstatIn(l, rel);
      if (!st) continue;
      out = isWhiteout(st) ? null : st;
      break;
    }
    this.stats.set(rel, out);
    return out;
  }

  /** Names in a lower directory's merged view: only read for a directory the container made opaque. */
  children(rel: string): Array<{ name: string; st: Stats }> {
    const out = new Map<string, Stats>();
    const hidden = new Set<string>();
    for (const l of this.lowers) {
      const entries = readdirIn(l, rel);
      if (!entries) continue;
      for (const { name, st } of entries) {
        if (out.has(name) || hidden.has(name)) continue;
        if (isWhiteout(st)) hidden.add(name);
        else out.set(name, st);
      }
      if (opaqueIn(l, rel)) break;
    }
    return [...out].map(([name, st]) => ({ name, st }));
  }
}

export interface DirScan {
  /** Changes of the directory's direct entries (and, for an opaque directory, the lower children it hides). */
  changes: RawChange[];
  /** Direct subdirectories in the upper dir (to watch and scan). */
  subdirs: string[];
}

const change = (p: string, kind: RawChange['kind'], st: Stats | null, type?: RawChange['type']): RawChange => ({
  path: p,
  kind,
  type: type ?? (st ? typeName(st) : 'whiteout'),
  size: st && !st.isDirectory() ? st.size : 0,
  mtimeMs: st ? Math.floor(st.mtimeMs) : 0,
});

/** Classifies the direct entries of upper-dir directory `rel` ("/" for the root). null: the directory is gone. */
export function scanDir(upper: string, rel: string, lower: LowerView): DirScan | null {
  const entries = readdirIn(upper, rel);
  if (!entries) return null;
  const changes: RawChange[] = [];
  const subdirs: string[] = [];
  // An opaque directory hides its lower namesake's children: those the container did not recreate are deleted.
  if (rel !== '/' && opaqueIn(upper, rel) && lower.stat(rel)?.isDirectory()) {
    const own = new Set(entries.map((e) => e.name));
    for (const c of lower.children(rel)) if (!own.has(c.name)) changes.push(change(`${rel}/${c.name}`, 'D', c.st));
  }
  for (const { name, st } of entries) {
    const r = rel === '/' ? `/${name}` : `${rel}/${name}`;
    if (isWhiteout(st)) {
      if (lower.stat(r)) changes.push(change(r, 'D', lower.stat(r), 'whiteout'));
      continue;
    }
    const low = lower.stat(r);
    if (st.isDirectory()) {
      subdirs.push(r);
      if (MOUNT_POINTS.has(r) && !low && (readdirIn(upper, r) ?? []).length === 0) continue;
      if (!low) changes.push(change(r, 'A', st));
      else if (low.isDirectory() && st.opaque) changes.push(change(r, 'M', st));
      else if (!low.isDirectory() || !sameDirMeta(st, low)) changes.push(change(r, 'M', st));
      continue;
    }
    if (MOUNT_POINTS.has(r) && !low && st.size === 0) continue;
    changes.push(change(r, low ? 'M' : 'A', st));
  }
  return { changes, subdirs };
}

/** Docker's rule: the parent of an added or deleted path is modified, unless it is "/" or already listed. */
export function withParents(raw: Map<string, RawChange>, upper: string): Map<string, RawChange> {
  const out = new Map(raw);
  for (const c of raw.values()) {
    if (c.kind === 'M') continue;
    const parent = path.posix.dirname(c.path);
    if (parent === '/' || out.has(parent)) continue;
    out.set(parent, change(parent, 'M', lstatIn(upper, parent)));
  }
  return out;
}
