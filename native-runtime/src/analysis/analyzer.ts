// The layer inspector's entry point (Berth.analyzer()): image analysis, trees, file contents and
// diffs, image comparison and live container diffs. Results are JSON; options are parsed with the
// zod schemas of schemas.ts (a tRPC router can reuse them). Errors are EngineErrors with Docker's codes.
//
// Cost model: layer indexes are cached on disk by diffID (index-cache.ts); an image's replay (marks,
// waste) and its trees are kept in small in-memory LRUs, so the second look at an image, a layer or a
// tree is a lookup.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import { badParameter, EngineError, notFound } from '../errors.js';
import { mapErrors } from '../images/engine-errors.js';
import type { ImageStores } from '../images/open.js';
import { familiarString } from '../images/reference.js';
import type { ImageRecord } from '../images/store.js';
import type { ImageConfig } from '../images/types.js';
import { layerDirs } from '../containers/rootfs-files.js';
import type { ContainerRecord } from '../containers/record.js';
import { chainIds } from '../snapshots/chain.js';
import { SnapshotError } from '../snapshots/types.js';
import { compareStacks } from './compare.js';
import { hexdump, looksBinary, readRange, streamFile } from './content.js';
import { LayerIndexCache } from './index-cache.js';
import type { LayerIndex } from './layer-index.js';
import { unifiedDiff } from './line-diff.js';
import { LiveDiffHub, type Subscription } from './live/watcher.js';
import {
  AnalyzeOptionsSchema,
  CompareOptionsSchema,
  FileContentOptionsSchema,
  FileDiffOptionsSchema,
  ImagePathSchema,
  LayerIndexSchema,
  TreeOptionsSchema,
  WatchOptionsSchema,
  type AnalyzeOptionsInput,
  type CompareOptionsInput,
  type FileContentOptionsInput,
  type FileDiffOptionsInput,
  type TreeOptionsInput,
  type WatchOptionsInput,
} from './schemas.js';
import { LayerStack, MARK_ADDED, MARK_MODIFIED, replay, type Ver } from './stack.js';
import { summarize } from './summary.js';
import { aggregatedTree, layerTree, queryTree, type FsTree } from './tree.js';
import type { EntryType, FileContent, FileDiff, ImageAnalysis, ImageComparison, TreeResult } from './types.js';

const IMAGES_KEPT = 8;
const TREES_KEPT = 8;

export interface AnalyzerDeps {
  root: string;
  stores: ImageStores;
  /** Looks a container up by id or name (404 otherwise); only needed for live diffs. */
  container?: (idOrName: string) => ContainerRecord;
}

/** An image's layers replayed: kept per image ID. */
interface ImageState {
  rec: ImageRecord;
  cfg: ImageConfig;
  chains: string[];
  indexes: LayerIndex[];
  stack: LayerStack;
  trees: Map<string, FsTree>;
}

class Lru<K, V> {
  private readonly m = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) {
      this.m.delete(k);
      this.m.set(k, v);
    }
    return v;
  }
  set(k: K, v: V): void {
    this.m.delete(k);
    this.m.set(k, v);
    if (this.m.size > this.max) this.m.delete(this.m.keys().next().value!);
  }
  delete(k: K): void {
    this.m.delete(k);
  }
  clear(): void {
    this.m.clear();
  }
}

export class Analyzer {
  readonly cache: LayerIndexCache;
  readonly live = new LiveDiffHub();
  private readonly images = new Lru<string, Promise<ImageState>>(IMAGES_KEPT);

  constructor(private readonly d: AnalyzerDeps) {
    this.cache = new LayerIndexCache(d.root);
  }

  // ─────────────────────────── image state ───────────────────────────

  private async state(ref: string): Promise<ImageState> {
    const rec = await mapErrors(() => this.d.stores.images.get(ref));
    let p = this.images.get(rec.id);
    if (!p) {
      p = this.load(rec);
      p.catch(() => {});
      this.images.set(rec.id, p);
    }
    try {
      return await p;
    } catch (e) {
      if (this.images.get(rec.id) === p) this.images.delete(rec.id);
      throw e;
    }
  }

  private async load(rec: ImageRecord): Promise<ImageState> {
    const cfg = await this.d.stores.images.config(rec);
    const chains = chainIds(rec.diffIds);
    const indexes: LayerIndex[] = [];
    for (let i = 0; i < rec.diffIds.length; i++) {
      indexes.push(await this.cache.get(rec.diffIds[i]!, () => this.snapshotDir(rec, chains, i)));
    }
    const stack = new LayerStack(indexes);
    for (let i = 0; i < indexes.length; i++) stack.push();
    return { rec, cfg, chains, indexes, stack, trees: new Map() };
  }

  private async snapshotDir(rec: ImageRecord, chains: string[], layer: number): Promise<string> {
    try {
      return await this.d.stores.snapshots.fsPath(chains[layer]!);
    } catch (e) {
      if (e instanceof SnapshotError && e.code === 'NOT_FOUND') {
        throw new EngineError(409, `layer ${layer} (${rec.diffIds[layer]}) of image ${rec.id} is not unpacked; run a container from the image or pull it again`);
      }
      throw e;
    }
  }

  private layerArg(s: ImageState, layer: number | undefined): number {
    const top = s.indexes.length - 1;
    if (layer === undefined || layer === -1) {
      if (top < 0) throw badParameter(`image ${s.rec.id} has no layers`);
      return top;
    }
    const l = LayerIndexSchema.safeParse(layer);
    if (!l.success || l.data > top) throw badParameter(`layer ${layer} is out of range: image ${s.rec.id} has ${s.indexes.length} layers`);
    return l.data;
  }

  private tree(s: ImageState, layer: number, mode: 'layer' | 'aggregated'): FsTree {
    const key = `${mode}:${layer}`;
    let t = s.trees.get(key);
    if (t) {
      s.trees.delete(key);
      s.trees.set(key, t);
      return t;
    }
    const eff = s.stack.effects[layer]!;
    if (mode === 'layer') t = layerTree(s.indexes, layer, eff);
    else t = aggregatedTree(layer === s.indexes.length - 1 ? s.stack : replay(s.indexes, layer), layer, eff);
    s.trees.set(key, t);
    if (s.trees.size > TREES_KEPT) s.trees.delete(s.trees.keys().next().value!);
    return t;
  }

  // ─────────────────────────── API ───────────────────────────

  /** The whole analysis: layers (base first) with history, sizes and change counts; efficiency and waste. */
  async analyze(image: string, opts: AnalyzeOptionsInput = {}): Promise<ImageAnalysis> {
    const o = parse(AnalyzeOptionsSchema, opts);
    const s = await this.state(image);
    const tags = (await this.d.stores.images.references(s.rec.id)).filter((r) => r.tag !== undefined).map(familiarString);
    return summarize(s.rec, s.cfg, tags, s.indexes, s.stack, o);
  }

  /** One directory of a layer's tree (layer -1 or omitted: the top layer). */
  async imageTree(image: string, layer: number | undefined, opts: TreeOptionsInput = {}): Promise<TreeResult> {
    const o = parse(TreeOptionsSchema, opts);
    const s = await this.state(image);
    const l = this.layerArg(s, layer);
    const node = queryTree(this.tree(s, l, o.mode), o);
    if (!node) throw notFound(`${o.path}: no such file or directory in layer ${l} of ${s.rec.id} (${o.mode})`);
    return { image: s.rec.id, layer: l, mode: o.mode, node };
  }

  /** The version of `path` that the filesystem up to `layer` shows (or the one `layer` removed). */
  private async version(s: ImageState, layer: number, p: string): Promise<{ ver: Ver; removed: boolean; abs: string }> {
    const t = this.tree(s, layer, 'aggregated');
    const n = t.byPath.get(p);
    if (!n?.ver) throw notFound(`${p}: no such file or directory in layer ${layer} of ${s.rec.id}`);
    const dir = await this.snapshotDir(s.rec, s.chains, n.ver.layer);
    return { ver: n.ver, removed: !!n.removed, abs: path.join(dir, p) };
  }

  /** A range of a file as it is at `layer`; text as UTF-8, anything else as a hexdump. */
  async fileContent(image: string, layer: number | undefined, filePath: string, opts: FileContentOptionsInput = {}): Promise<FileContent> {
    const o = parse(FileContentOptionsSchema, opts);
    const p = parse(ImagePathSchema, filePath);
    const s = await this.state(image);
    const l = this.layerArg(s, layer);
    const { ver, abs } = await this.version(s, l, p);
    const e = s.stack.entry(ver);
    const type = publicType(e.type);
    const base: FileContent = { path: p, layer: ver.layer, type, size: e.size, binary: false, offset: o.offset, length: 0, content: '', eof: true };
    if (e.link !== null && e.type === 'symlink') return { ...base, linkTarget: e.link };
    if (e.type !== 'file' && e.type !== 'hardlink') throw badParameter(`${p} is a ${type}, not a file`);
    const head = await readRange(abs, 0, Math.min(8192, Math.max(e.size, 1)));
    const size = e.type === 'hardlink' ? (await fsp.stat(abs)).size : e.size;
    const buf = await readRange(abs, o.offset, o.length);
    const binary = looksBinary(head);
    return {
      ...base,
      size,
      binary,
      length: buf.length,
      content: binary ? hexdump(buf, o.offset) : buf.toString('utf8'),
      eof: o.offset + buf.length >= size,
    };
  }

  /** The whole file as it is at `layer`, streamed (downloads). */
  async openFile(image: string, layer: number | undefined, filePath: string): Promise<Readable> {
    const p = parse(ImagePathSchema, filePath);
    const s = await this.state(image);
    const { ver, abs } = await this.version(s, this.layerArg(s, layer), p);
    const t = s.stack.typeOf(ver);
    if (t !== 'file' && t !== 'hardlink') throw badParameter(`${p} is not a regular file`);
    return streamFile(abs);
  }

  /** The unified diff of `path` between the version `layer` made and the one below it. */
  async fileDiff(image: string, layer: number | undefined, filePath: string, opts: FileDiffOptionsInput = {}): Promise<FileDiff> {
    const o = parse(FileDiffOptionsSchema, opts);
    const p = parse(ImagePathSchema, filePath);
    const s = await this.state(image);
    const l = this.layerArg(s, layer);
    const here = this.tree(s, l, 'layer').byPath.get(p);
    if (!here?.ver || (!here.removed && here.ver.layer !== l)) throw notFound(`${p}: layer ${l} of ${s.rec.id} does not change it`);
    const below = l > 0 ? this.tree(s, l - 1, 'aggregated').byPath.get(p) : undefined;
    const oldVer = below && !below.removed ? below.ver : null;
    const newVer = here.removed ? null : here.ver;
    const change = here.removed ? 'removed' : here.mark === MARK_ADDED ? 'added' : here.mark === MARK_MODIFIED ? 'modified' : null;
    const side = async (v: Ver | null): Promise<{ size: number; text: string | null; skipped?: FileDiff['skipped'] }> => {
      if (!v) return { size: 0, text: '' };
      const e = s.stack.entry(v);
      if (e.type !== 'file' && e.type !== 'hardlink') return { size: e.size, text: null, skipped: 'not-a-file' };
      const abs = path.join(await this.snapshotDir(s.rec, s.chains, v.layer), p);
      const size = e.type === 'hardlink' ? (await fsp.stat(abs)).size : e.size;
      if (size > o.maxBytes) return { size, text: null, skipped: 'too-large' };
      const buf = await readRange(abs, 0, size);
      if (looksBinary(buf)) return { size, text: null, skipped: 'binary' };
      return { size, text: buf.toString('utf8') };
    };
    const [a, b] = await Promise.all([side(oldVer), side(newVer)]);
    const out: FileDiff = { path: p, layer: l, baseLayer: oldVer?.layer ?? null, change, oldSize: a.size, newSize: b.size, unified: '', addedLines: 0, removedLines: 0 };
    const skipped = a.skipped ?? b.skipped;
    if (skipped || a.text === null || b.text === null) return { ...out, skipped: skipped ?? 'binary' };
    const d = unifiedDiff(a.text, b.text, { oldName: oldVer ? `a${p}` : '/dev/null', newName: newVer ? `b${p}` : '/dev/null', context: o.context });
    return { ...out, unified: d.text, addedLines: d.added, removedLines: d.removed };
  }

  /** Shared layers, the divergence point and the file differences of two images' final filesystems. */
  async compareImages(a: string, b: string, opts: CompareOptionsInput = {}): Promise<ImageComparison> {
    const o = parse(CompareOptionsSchema, opts);
    const [sa, sb] = await Promise.all([this.state(a), this.state(b)]);
    return compareStacks({ id: sa.rec.id, diffIds: sa.rec.diffIds, stack: sa.stack }, { id: sb.rec.id, diffIds: sb.rec.diffIds, stack: sb.stack }, o);
  }

  /**
   * A live `docker diff` of a container: first a snapshot, then deltas as the writable layer changes.
   * Iterate it (for await, or return it from a tRPC subscription); `return()` unsubscribes.
   */
  async watchContainerChanges(idOrName: string, opts: WatchOptionsInput = {}): Promise<Subscription> {
    const o = parse(WatchOptionsSchema, opts);
    if (!this.d.container) throw new EngineError(501, 'live container diffs need the container manager');
    const rec = this.d.container(idOrName);
    const dirs = layerDirs(await this.d.stores.snapshots.mounts(rec.cfg.snapshotKey));
    const [upper, ...lowers] = dirs;
    if (!upper) throw new EngineError(500, `container ${rec.cfg.id.slice(0, 12)} has no writable layer`);
    return this.live.subscribe(rec.cfg.id, { upper, lowers }, o);
  }

  /** Forgets in-memory state (the on-disk index cache stays). */
  dropMemory(): void {
    this.images.clear();
    this.cache.dropMemory();
  }

  close(): void {
    this.live.close();
    this.dropMemory();
  }
}

function publicType(t: string): EntryType {
  return t === 'whiteout' ? 'char' : (t as EntryType);
}

function parse<T extends z.ZodType>(schema: T, v: unknown): z.output<T> {
  const r = schema.safeParse(v);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw badParameter(`invalid option ${i.path.map(String).join('.') || 'value'}: ${i.message}`);
  }
  return r.data;
}
