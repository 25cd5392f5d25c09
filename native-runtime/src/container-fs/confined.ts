// Looks into a tree that something else may change meanwhile (a container's upper dir) or that came
// from an image (a lower layer), from the host: through the addon, inside `root`, with no symlink
// followed on the way (native/addon/in_root.cc). The result has the shape of node's fs.Stats that the
// walkers use, so they never build a host path from the tree's names.
import path from 'node:path';
import { rootReaddir, rootStat, type RootStatFields } from '../native/index.js';

const S_IFMT = 0o170000;

export class ConfinedStats {
  readonly mode: number;
  readonly size: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  readonly mtimeMs: number;
  /** trusted.overlay.opaque=y (directories from a listing only; false otherwise). */
  readonly opaque: boolean;

  constructor(st: RootStatFields, opaque = false) {
    this.mode = st.mode;
    this.size = st.size;
    this.uid = st.uid;
    this.gid = st.gid;
    this.rdev = st.rdev;
    this.mtimeMs = st.mtimeMs;
    this.opaque = opaque;
  }
  private is(type: number): boolean {
    return (this.mode & S_IFMT) === type;
  }
  isFile(): boolean {
    return this.is(0o100000);
  }
  isDirectory(): boolean {
    return this.is(0o040000);
  }
  isSymbolicLink(): boolean {
    return this.is(0o120000);
  }
  isCharacterDevice(): boolean {
    return this.is(0o020000);
  }
  isBlockDevice(): boolean {
    return this.is(0o060000);
  }
  isFIFO(): boolean {
    return this.is(0o010000);
  }
  isSocket(): boolean {
    return this.is(0o140000);
  }
}

/** An overlay whiteout: a 0:0 character device. */
export const isWhiteout = (st: ConfinedStats): boolean => st.isCharacterDevice() && st.rdev === 0;

/** lstat of rel inside root; null when missing or when a symlink lies on the way (overlay never merges through one). */
export function lstatIn(root: string, rel: string): ConfinedStats | null {
  try {
    const r = rootStat(root, rel, false);
    return r.stat && r.inner === path.posix.join('/', rel) ? new ConfinedStats(r.stat) : null;
  } catch {
    return null;
  }
}

/** The entries of directory rel inside root, sorted by name; null when it is missing or not reached without a symlink. */
export function readdirIn(root: string, rel: string): Array<{ name: string; st: ConfinedStats }> | null {
  try {
    return rootReaddir(root, rel).map((e) => ({ name: e.name, st: new ConfinedStats(e, e.opaque) }));
  } catch {
    return null;
  }
}

/** Whether directory rel inside root is opaque (trusted.overlay.opaque=y). */
export function opaqueIn(root: string, rel: string): boolean {
  const clean = path.posix.join('/', rel);
  if (clean === '/') return false;
  return readdirIn(root, path.posix.dirname(clean))?.find((e) => e.name === path.posix.basename(clean))?.st.opaque ?? false;
}
