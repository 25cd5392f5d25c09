// The image store's in-memory index: every record and reference once, with the reverse maps that list,
// remove and prune ask for (children of an image, references of an image, images of a manifest digest,
// how many images use a blob or a snapshot chain). Without it each of those was a scan of every record
// file, so removing n images read n² files (issue #16: `docker builder prune` ran for 25 minutes).
// Records are treated as immutable here: a change replaces the object.
// Layer lists are interned: the images of one build chain share a handful of distinct lists, so the
// index holds each list (and its chain IDs) once rather than once per image - per-image copies made
// a 10,000-step build's index grow with steps × layers (issue #16).
import type { Descriptor } from '../content/types.js';
import { chainIds } from '../snapshots/chain.js';
import type { ImageRecord } from './image-record.js';

/** One distinct (layers, diff IDs, sizes) list, shared by every record that has it. */
interface LayerList {
  layers: Descriptor[];
  diffIds: string[];
  layerSizes: number[];
  chains: string[];
  /** Its key in the intern table (kept once here, not once per record). */
  key: string;
  users: number;
}

function listKey(rec: ImageRecord): string {
  return JSON.stringify([rec.diffIds, rec.layerSizes, rec.layers.map((l) => [l.digest, l.mediaType, l.size])]);
}

function addTo<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function removeFrom<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (!s.size) m.delete(k);
}

function count(m: Map<string, number>, k: string, by: number): void {
  const n = (m.get(k) ?? 0) + by;
  if (n > 0) m.set(k, n);
  else m.delete(k);
}

export class RecordIndex {
  private readonly recs = new Map<string, ImageRecord>();
  /** Fully-qualified reference → image id (refs.json). */
  private readonly refs = new Map<string, string>();
  private readonly refsById = new Map<string, Set<string>>();
  private readonly children = new Map<string, Set<string>>();
  private readonly byManifest = new Map<string, Set<string>>();
  private readonly blobUse = new Map<string, number>();
  private readonly chainUse = new Map<string, number>();
  private readonly listOf = new Map<string, LayerList>();
  private readonly lists = new Map<string, LayerList>();

  get size(): number {
    return this.recs.size;
  }

  record(id: string): ImageRecord | undefined {
    return this.recs.get(id);
  }

  records(): IterableIterator<ImageRecord> {
    return this.recs.values();
  }

  /** Ids that start with the hex prefix (at most `limit`). */
  idsWithPrefix(hexPrefix: string, limit: number): string[] {
    const out: string[] = [];
    const want = 'sha256:' + hexPrefix;
    for (const id of this.recs.keys()) {
      if (id.startsWith(want)) out.push(id);
      if (out.length >= limit) break;
    }
    return out;
  }

  put(rec: ImageRecord): void {
    const old = this.recs.get(rec.id);
    if (old) this.unlink(old);
    this.recs.set(rec.id, rec);
    if (rec.parent) addTo(this.children, rec.parent, rec.id);
    addTo(this.byManifest, rec.manifestDigest, rec.id);
    const key = listKey(rec);
    let list = this.lists.get(key);
    if (!list) {
      list = { layers: rec.layers, diffIds: rec.diffIds, layerSizes: rec.layerSizes, chains: chainIds(rec.diffIds), key, users: 0 };
      this.lists.set(key, list);
    }
    list.users++;
    // The record keeps equal content, as the shared arrays (callers copy before changing a list).
    rec.layers = list.layers;
    rec.diffIds = list.diffIds;
    rec.layerSizes = list.layerSizes;
    this.listOf.set(rec.id, list);
    for (const b of blobsOf(rec)) count(this.blobUse, b, 1);
    for (const c of list.chains) count(this.chainUse, c, 1);
  }

  delete(id: string): void {
    const old = this.recs.get(id);
    if (!old) return;
    this.unlink(old);
    this.recs.delete(id);
  }

  private unlink(rec: ImageRecord): void {
    if (rec.parent) removeFrom(this.children, rec.parent, rec.id);
    removeFrom(this.byManifest, rec.manifestDigest, rec.id);
    for (const b of blobsOf(rec)) count(this.blobUse, b, -1);
    const list = this.listOf.get(rec.id);
    if (list) {
      for (const c of list.chains) count(this.chainUse, c, -1);
      if (--list.users === 0) this.lists.delete(list.key);
      this.listOf.delete(rec.id);
    }
  }

  childrenOf(id: string): string[] {
    return [...(this.children.get(id) ?? [])];
  }

  hasChildren(id: string): boolean {
    return this.children.has(id);
  }

  withManifest(digest: string): string | undefined {
    return this.byManifest.get(digest)?.values().next().value;
  }

  blobUsed(digest: string): boolean {
    return this.blobUse.has(digest);
  }

  chainUsed(chain: string): boolean {
    return this.chainUse.has(chain);
  }

  chains(id: string): string[] {
    return this.listOf.get(id)?.chains ?? [];
  }

  // --- references -----------------------------------------------------------------------------

  ref(key: string): string | undefined {
    return this.refs.get(key);
  }

  refsOf(id: string): string[] {
    return [...(this.refsById.get(id) ?? [])];
  }

  setRef(key: string, id: string): void {
    const old = this.refs.get(key);
    if (old !== undefined) removeFrom(this.refsById, old, key);
    this.refs.set(key, id);
    addTo(this.refsById, id, key);
  }

  deleteRef(key: string): void {
    const old = this.refs.get(key);
    if (old === undefined) return;
    removeFrom(this.refsById, old, key);
    this.refs.delete(key);
  }

  /** refs.json's content. */
  refsObject(): Record<string, string> {
    return Object.fromEntries(this.refs);
  }
}

function blobsOf(rec: ImageRecord): string[] {
  return [rec.id, rec.manifestDigest, ...rec.layers.map((l) => l.digest)];
}
