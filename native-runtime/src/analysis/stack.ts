// Replays an image's layer indexes bottom-up, as overlayfs stacks them, and records what each layer
// did to the filesystem below it:
//  - an entry is *added* when its path was not visible below, *modified* when it was and its type,
//    size, mode, uid, gid, content hash or link target differs, unchanged otherwise;
//  - a whiteout deletes its path and everything below it; an opaque directory hides everything the
//    lower layers had below it; a non-directory over a directory hides the directory's contents.
//    The *removed* paths of a layer are the tops of what it hid and did not put back.
// Every file version that leaves the visible set (shadowed by a newer version or deleted) is wasted;
// what is still visible after the last layer is the final filesystem.
import type { LayerIndex, IndexType } from './layer-index.js';

export const MARK_NONE = 0;
export const MARK_ADDED = 1;
export const MARK_MODIFIED = 2;
/** A whiteout entry that deleted something. */
export const MARK_REMOVED = 3;

/** A version of a path: entry `i` of layer `layer`. */
export interface Ver {
  layer: number;
  i: number;
}

export interface RemovedPath {
  path: string;
  /** The version that was visible before the layer removed it. */
  ver: Ver;
  /** Bytes that became invisible below (and at) this path. */
  size: number;
}

export interface LayerEffects {
  /** One mark per entry of the layer's index. */
  marks: Uint8Array;
  /** The tops of what this layer removed (whiteouts, opaque dirs, a file over a dir), by path. */
  removed: RemovedPath[];
  added: number;
  modified: number;
  /** Bytes of this layer's versions that are not in the final filesystem (filled by the full replay). */
  wastedBytes: number;
}

export interface PathWaste {
  count: number;
  wasted: number;
}

export function parentOf(p: string): string {
  const k = p.lastIndexOf('/');
  return k <= 0 ? '/' : p.slice(0, k);
}

const effectiveType = (t: IndexType): IndexType => (t === 'hardlink' ? 'file' : t);

/** The merged view of layers 0..n, built one layer at a time. */
export class LayerStack {
  readonly visible = new Map<string, Ver>();
  /** Directory path → the paths of its visible children. */
  private readonly kids = new Map<string, Set<string>>();
  readonly effects: LayerEffects[] = [];
  /** Per non-directory path: how many layers hold a version, and the bytes of them no longer visible. */
  readonly waste = new Map<string, PathWaste>();
  wastedBytes = 0;

  constructor(
    readonly layers: readonly LayerIndex[],
    private readonly trackWaste = true,
  ) {}

  entry(v: Ver): { path: string; type: IndexType; size: number; mode: number; uid: number; gid: number; hash: string | null; link: string | null } {
    const L = this.layers[v.layer]!;
    return { path: L.paths[v.i]!, type: L.types[v.i]!, size: L.sizes[v.i]!, mode: L.modes[v.i]!, uid: L.uids[v.i]!, gid: L.gids[v.i]!, hash: L.hashes[v.i]!, link: L.links[v.i]! };
  }

  sizeOf(v: Ver): number {
    return this.layers[v.layer]!.sizes[v.i]!;
  }

  typeOf(v: Ver): IndexType {
    return this.layers[v.layer]!.types[v.i]!;
  }

  /** Same type, mode, owner, and content hash (files) or target (links)? */
  same(a: Ver, b: Ver): boolean {
    const A = this.layers[a.layer]!;
    const B = this.layers[b.layer]!;
    const ta = effectiveType(A.types[a.i]!);
    if (ta !== effectiveType(B.types[b.i]!)) return false;
    if (A.modes[a.i] !== B.modes[b.i] || A.uids[a.i] !== B.uids[b.i] || A.gids[a.i] !== B.gids[b.i]) return false;
    if (ta === 'file') return A.hashes[a.i] === B.hashes[b.i];
    if (ta === 'symlink') return A.links[a.i] === B.links[b.i];
    return true;
  }

  private setVisible(p: string, v: Ver): void {
    const old = this.visible.get(p);
    if (old) this.leave(p, old);
    this.visible.set(p, v);
    if (p === '/') return;
    const parent = parentOf(p);
    let s = this.kids.get(parent);
    if (!s) this.kids.set(parent, (s = new Set()));
    s.add(p);
  }

  /** A version stops being visible: its bytes are wasted from now on. */
  private leave(p: string, v: Ver): void {
    if (!this.trackWaste) return;
    const size = this.sizeOf(v);
    if (size === 0) return;
    this.wastedBytes += size;
    const eff = this.effects[v.layer];
    if (eff) eff.wastedBytes += size;
    const w = this.waste.get(p);
    if (w) w.wasted += size;
  }

  /** Removes everything visible strictly below `dir`; calls `hidden` for each removed path. */
  private hideBelow(dir: string, hidden: (p: string, v: Ver) => void): void {
    const s = this.kids.get(dir);
    if (!s) return;
    this.kids.delete(dir);
    for (const child of s) {
      const v = this.visible.get(child);
      if (!v) continue;
      this.hideBelow(child, hidden);
      this.visible.delete(child);
      this.leave(child, v);
      hidden(child, v);
    }
  }

  private hidePath(p: string, hidden: (p: string, v: Ver) => void): void {
    const v = this.visible.get(p);
    if (!v) return;
    this.hideBelow(p, hidden);
    this.visible.delete(p);
    this.leave(p, v);
    hidden(p, v);
    if (p !== '/') this.kids.get(parentOf(p))?.delete(p);
  }

  /** Applies the next layer on top. */
  push(): LayerEffects {
    const li = this.effects.length;
    const L = this.layers[li]!;
    const n = L.paths.length;
    const marks = new Uint8Array(n);
    const eff: LayerEffects = { marks, removed: [], added: 0, modified: 0, wastedBytes: 0 };
    this.effects.push(eff);
    const opaqueSet = new Set(L.opaque);
    // Pass 1: marks against the filesystem as it was below this layer.
    for (let i = 0; i < n; i++) {
      const p = L.paths[i]!;
      const below = this.visible.get(p);
      if (L.types[i] === 'whiteout') {
        if (below) marks[i] = MARK_REMOVED;
        continue;
      }
      // An opaque directory over a directory replaced its contents: modified, whatever its attributes.
      const replaced = L.types[i] === 'dir' && below !== undefined && this.typeOf(below) === 'dir' && opaqueSet.has(i);
      if (!below) {
        marks[i] = MARK_ADDED;
        eff.added++;
      } else if (replaced || !this.same(below, { layer: li, i })) {
        marks[i] = MARK_MODIFIED;
        eff.modified++;
      }
      if (this.trackWaste && L.types[i] !== 'dir') {
        const w = this.waste.get(p);
        if (w) w.count++;
        else this.waste.set(p, { count: 1, wasted: 0 });
      }
    }
    // Pass 2: deletions first (they only ever apply to lower layers), then this layer's versions.
    const hidden = new Map<string, Ver>();
    const onHidden = (p: string, v: Ver): void => void hidden.set(p, v);
    for (let i = 0; i < n; i++) {
      const p = L.paths[i]!;
      const t = L.types[i]!;
      if (t === 'whiteout') this.hidePath(p, onHidden);
      else if (t === 'dir' ? opaqueSet.has(i) : this.visible.has(p) && this.typeOf(this.visible.get(p)!) === 'dir') this.hideBelow(p, onHidden);
    }
    for (let i = 0; i < n; i++) if (L.types[i] !== 'whiteout') this.setVisible(L.paths[i]!, { layer: li, i });
    // The removed paths are the tops of what stayed hidden; their size is everything hidden below them.
    if (hidden.size) {
      const tops = new Map<string, RemovedPath>();
      for (const [p, v] of hidden) {
        if (this.visible.has(p)) continue;
        const parent = parentOf(p);
        if (parent === '/' || this.visible.has(parent)) tops.set(p, { path: p, ver: v, size: 0 });
      }
      for (const [p, v] of hidden) {
        if (this.visible.has(p)) continue;
        for (let q = p; ; q = parentOf(q)) {
          const top = tops.get(q);
          if (top) {
            top.size += this.sizeOf(v);
            break;
          }
          if (q === '/') break;
        }
      }
      eff.removed = [...tops.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    }
    return eff;
  }

  /** Bytes of the visible files. */
  visibleBytes(): number {
    let n = 0;
    for (const v of this.visible.values()) n += this.sizeOf(v);
    return n;
  }
}

/** The merged view after layers 0..upTo (no waste accounting): for aggregated trees. */
export function replay(layers: readonly LayerIndex[], upTo: number): LayerStack {
  const s = new LayerStack(layers.slice(0, upTo + 1), false);
  for (let i = 0; i <= upTo; i++) s.push();
  return s;
}
