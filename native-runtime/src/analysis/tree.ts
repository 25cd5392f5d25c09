// File trees for one layer, in dive's two modes:
//  - "layer": only what the layer itself holds, plus what it removed;
//  - "aggregated": the filesystem as it is with every layer up to this one, marks for this layer's changes.
// A tree is built once per (image, layer, mode) and kept by the analyzer; queries return one directory,
// expanded `depth` levels, with per-directory paging, so a 50,000-file image never travels whole.
import type { LayerIndex } from './layer-index.js';
import { MARK_ADDED, MARK_MODIFIED, MARK_NONE, MARK_REMOVED, parentOf, type LayerEffects, type LayerStack, type RemovedPath, type Ver } from './stack.js';
import type { TreeOptions } from './schemas.js';
import type { ChangeMark, EntryType, TreeNode } from './types.js';

export interface FsNode {
  name: string;
  path: string;
  /** null: a directory the layer does not list but its entries need (tar layers may omit parents). */
  ver: Ver | null;
  mark: number;
  removed?: RemovedPath;
  kids?: FsNode[];
  /** Own size for files; for directories the sum below (removed entries excluded). */
  total: number;
  changedBelow: boolean;
}

export interface FsTree {
  layer: number;
  mode: 'layer' | 'aggregated';
  root: FsNode;
  byPath: Map<string, FsNode>;
  layers: readonly LayerIndex[];
}

const MARK_NAMES: Array<ChangeMark | null> = [null, 'added', 'modified', 'removed'];

function markOf(n: FsNode): ChangeMark | null {
  if (n.removed) return 'removed';
  return MARK_NAMES[n.mark] ?? null;
}

function makeTree(layer: number, mode: FsTree['mode'], layers: readonly LayerIndex[]): FsTree {
  const root: FsNode = { name: '/', path: '/', ver: null, mark: MARK_NONE, total: 0, changedBelow: false };
  return { layer, mode, root, byPath: new Map([['/', root]]), layers };
}

function nodeAt(t: FsTree, p: string): FsNode {
  let n = t.byPath.get(p);
  if (n) return n;
  const parent = nodeAt(t, parentOf(p));
  n = { name: p.slice(p.lastIndexOf('/') + 1), path: p, ver: null, mark: MARK_NONE, total: 0, changedBelow: false };
  (parent.kids ??= []).push(n);
  t.byPath.set(p, n);
  return n;
}

function addRemoved(t: FsTree, effects: LayerEffects): void {
  for (const r of effects.removed) {
    const n = nodeAt(t, r.path);
    n.removed = r;
    n.ver = r.ver;
    n.mark = MARK_REMOVED;
  }
}

/** Sizes and changed-below flags, bottom-up. */
function finish(t: FsTree): FsTree {
  const visit = (n: FsNode): void => {
    if (!n.kids) {
      if (!n.removed && n.ver) n.total = t.layers[n.ver.layer]!.sizes[n.ver.i]!;
      return;
    }
    let total = 0;
    let changed = false;
    for (const k of n.kids) {
      visit(k);
      if (!k.removed) total += k.total;
      changed ||= k.mark !== MARK_NONE || k.changedBelow;
    }
    n.total = total + (n.ver && !n.removed && t.layers[n.ver.layer]!.types[n.ver.i] !== 'dir' ? t.layers[n.ver.layer]!.sizes[n.ver.i]! : 0);
    n.changedBelow = changed;
  };
  visit(t.root);
  return t;
}

/** "This layer only": the layer's own entries (not its whiteouts) and the paths it removed. */
export function layerTree(layers: readonly LayerIndex[], layer: number, effects: LayerEffects): FsTree {
  const t = makeTree(layer, 'layer', layers);
  const L = layers[layer]!;
  for (let i = 0; i < L.paths.length; i++) {
    if (L.types[i] === 'whiteout') continue;
    const n = nodeAt(t, L.paths[i]!);
    n.ver = { layer, i };
    n.mark = effects.marks[i]!;
  }
  addRemoved(t, effects);
  return finish(t);
}

/** "Aggregated": the merged filesystem after `layer`, with that layer's marks and removals. */
export function aggregatedTree(stack: LayerStack, layer: number, effects: LayerEffects): FsTree {
  const t = makeTree(layer, 'aggregated', stack.layers);
  const paths = [...stack.visible.keys()].sort();
  for (const p of paths) {
    const v = stack.visible.get(p)!;
    const n = nodeAt(t, p);
    n.ver = v;
    n.mark = v.layer === layer ? effects.marks[v.i]! : MARK_NONE;
  }
  addRemoved(t, effects);
  return finish(t);
}

const TYPE_NAMES: Record<string, EntryType> = { whiteout: 'char' };

function describe(t: FsTree, n: FsNode): TreeNode {
  const out: TreeNode = { name: n.name, path: n.path, type: 'dir', size: n.total, mode: 0o755, uid: 0, gid: 0, change: markOf(n), layer: t.layer };
  if (n.ver) {
    const L = t.layers[n.ver.layer]!;
    const type = L.types[n.ver.i]!;
    out.type = TYPE_NAMES[type] ?? (type as EntryType);
    out.mode = L.modes[n.ver.i]!;
    out.uid = L.uids[n.ver.i]!;
    out.gid = L.gids[n.ver.i]!;
    out.layer = n.ver.layer;
    const link = L.links[n.ver.i];
    if (link !== null && link !== undefined) out.linkTarget = link;
    if (n.removed) out.size = n.removed.size;
  }
  if (n.changedBelow) out.changedBelow = true;
  if (out.type === 'dir' && !n.kids && !n.removed) out.childCount = 0;
  return out;
}

/** Answers a tree query: the node at opts.path, its children `depth` levels down, filtered, sorted, paged. */
export function queryTree(t: FsTree, opts: TreeOptions): TreeNode | null {
  const start = t.byPath.get(opts.path);
  if (!start) return null;
  const needle = opts.filter ? opts.filter.toLowerCase() : '';
  // Which nodes stay: those matching the filter (or with a match below), and, with changedOnly,
  // those changed (or with a change below).
  const keepMemo = new Map<FsNode, boolean>();
  const keeps = (n: FsNode): boolean => {
    let k = keepMemo.get(n);
    if (k !== undefined) return k;
    const selfChanged = !opts.changedOnly || n.mark !== MARK_NONE || !!n.removed;
    const selfMatches = !needle || n.path.toLowerCase().includes(needle);
    k = selfChanged && selfMatches;
    if (!k && n.kids && (!opts.changedOnly || n.changedBelow)) k = n.kids.some(keeps);
    keepMemo.set(n, k);
    return k;
  };
  const cmp =
    opts.sort === 'size'
      ? (a: FsNode, b: FsNode) => (sizeOf(b) - sizeOf(a) || (a.name < b.name ? -1 : 1)) * (opts.order === 'asc' ? -1 : 1)
      : (a: FsNode, b: FsNode) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) * (opts.order === 'desc' ? -1 : 1);
  const sizeOf = (n: FsNode): number => (n.removed ? n.removed.size : n.total);
  let budget = opts.maxNodes;
  const expand = (n: FsNode, out: TreeNode, depthLeft: number, offset: number): void => {
    const kids = (n.kids ?? []).filter(keeps);
    out.childCount = kids.length;
    if (depthLeft <= 0 || kids.length === 0) return;
    kids.sort(cmp);
    const page = kids.slice(offset, offset + Math.min(opts.limit, Math.max(budget, 0)));
    budget -= page.length;
    out.children = page.map((k) => {
      const d = describe(t, k);
      if (k.kids) expand(k, d, depthLeft - 1, 0);
      return d;
    });
    const more = kids.length - offset - page.length;
    if (more > 0) out.more = more;
  };
  const top = describe(t, start);
  if (start.kids || (start.ver && t.layers[start.ver.layer]!.types[start.ver.i] === 'dir')) expand(start, top, opts.depth, opts.offset);
  return top;
}
