// The index of one layer: every entry of its extracted snapshot (overlay whiteouts and opaque dirs
// included) with type, size, owner, mode, link target and the sha256 of file content. It depends on
// the layer alone, so it is computed once per diffID and cached (index-cache.ts).
//
// The walk reads the committed snapshot rather than the layer tar: the snapshot is on disk already
// (every pull, load, import and build unpacks), and reading files from it is several times faster than
// inflating the gzip blob. It runs synchronously in slices of a few milliseconds, yielding to the event
// loop in between, so a server stays responsive while a big layer is indexed.
import { closeSync, constants, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { getxattr } from '../native/index.js';
import type { EntryType } from './types.js';

export const INDEX_VERSION = 1;

/** Entry types as stored; 'whiteout' marks a path deleted by this layer. */
export type IndexType = EntryType | 'whiteout';

/** Column-wise, so the cached JSON stays compact and parses fast. Entry i is the i-th of every column. */
export interface LayerIndex {
  version: typeof INDEX_VERSION;
  diffId: string;
  /** Absolute paths ("/etc/hosts"), parents before children, siblings in byte order. */
  paths: string[];
  types: IndexType[];
  /** st_size for non-directories (symlinks: target length), each inode once (later links 0); dirs 0. */
  sizes: number[];
  /** Permission and special bits (mode & 0o7777). */
  modes: number[];
  uids: number[];
  gids: number[];
  /** sha256 hex of the content of files (and hardlinks); null for the rest. */
  hashes: Array<string | null>;
  /** Symlink target, or the path a hardlink points at; null for the rest. */
  links: Array<string | null>;
  /** Indexes of directories marked opaque (trusted.overlay.opaque=y): they hide everything below them. */
  opaque: number[];
  /** Sum of sizes (Docker's DiffSize). */
  sizeBytes: number;
  /** Non-directory, non-whiteout entries. */
  fileCount: number;
}

const SLICE_MS = 8;
const READ_CHUNK = 1 << 20;

function typeOf(st: Stats): IndexType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return st.rdev === 0 ? 'whiteout' : 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'socket';
}

function isOpaqueDir(p: string): boolean {
  try {
    return getxattr(p, 'trusted.overlay.opaque')?.toString() === 'y';
  } catch {
    return false;
  }
}

function hashFile(abs: string, buf: Buffer): string {
  const h = createHash('sha256');
  const fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      h.update(n === buf.length ? buf : buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

export function emptyIndex(diffId: string): LayerIndex {
  return { version: INDEX_VERSION, diffId, paths: [], types: [], sizes: [], modes: [], uids: [], gids: [], hashes: [], links: [], opaque: [], sizeBytes: 0, fileCount: 0 };
}

/** Walks an extracted layer (a committed snapshot's fs dir) into its index. */
export async function indexSnapshotDir(dir: string, diffId: string): Promise<LayerIndex> {
  const idx = emptyIndex(diffId);
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  // First path of each multiply-linked inode: later names become hardlinks to it, counted once.
  const inodes = new Map<number, number>();
  let sliceStart = performance.now();
  const stack: string[] = ['/'];
  while (stack.length) {
    const rel = stack.pop()!;
    const absDir = path.join(dir, rel);
    let names: string[];
    try {
      names = readdirSync(absDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    names.sort(byteOrder);
    const subdirs: string[] = [];
    for (const name of names) {
      const p = rel === '/' ? `/${name}` : `${rel}/${name}`;
      const abs = path.join(dir, p);
      let st: Stats;
      try {
        st = lstatSync(abs);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      let type = typeOf(st);
      let size = type === 'dir' ? 0 : st.size;
      let hash: string | null = null;
      let link: string | null = null;
      if (type !== 'dir' && st.nlink > 1) {
        const first = inodes.get(st.ino);
        if (first !== undefined) {
          type = 'hardlink';
          size = 0;
          link = idx.paths[first]!;
          hash = idx.hashes[first]!;
        } else {
          inodes.set(st.ino, idx.paths.length);
        }
      }
      if (type === 'file') hash = hashFile(abs, buf);
      else if (type === 'symlink') link = readlinkSync(abs);
      const i = idx.paths.length;
      idx.paths.push(p);
      idx.types.push(type);
      idx.sizes.push(size);
      idx.modes.push(st.mode & 0o7777);
      idx.uids.push(st.uid);
      idx.gids.push(st.gid);
      idx.hashes.push(hash);
      idx.links.push(link);
      idx.sizeBytes += size;
      if (type !== 'dir' && type !== 'whiteout') idx.fileCount++;
      if (type === 'dir') {
        if (isOpaqueDir(abs)) idx.opaque.push(i);
        subdirs.push(p);
      }
      if (performance.now() - sliceStart > SLICE_MS) {
        await new Promise((r) => setImmediate(r));
        sliceStart = performance.now();
      }
    }
    // Depth-first, in name order: push in reverse so the first subdirectory is walked next.
    for (let k = subdirs.length - 1; k >= 0; k--) stack.push(subdirs[k]!);
  }
  return idx;
}

export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
