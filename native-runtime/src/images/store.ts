// ImageStore: image records and references on disk.
//   images/meta/<hex>.json   one record per image (id = config digest)
//   images/refs.json         fully-qualified reference -> image id (rewritten atomically)
// Blobs live in the content store; unpacked layers in the snapshotter (keyed by chain ID).
// Both are read once into an in-memory index (record-index.ts) and kept in step with every write; a
// change by another process (a read-only instance beside the writer) is seen through the directory's
// and refs.json's stat, re-read when it differs.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ContentStore, Descriptor } from '../content/types.js';
import { dockerDriverName, SnapshotError, type Snapshotter } from '../snapshots/types.js';
import { chainIds } from '../snapshots/chain.js';
import { activeLeases, type Lease } from '../archive/lease.js';
import { fsyncDir, readJsonOrSync, writeJsonAtomic } from '../util/atomic.js';
import { hexOf } from '../util/ids.js';
import type { ImageDeleteItem, ImageHistoryItem, ImageInspect, ImageSummary } from './docker-shapes.js';
import { ImageError } from './errors.js';
import type { ImageRecord } from './image-record.js';
import { RecordIndex } from './record-index.js';
import {
  familiarString,
  isImageId,
  parseNormalizedNamed,
  referenceString,
  withDefaultTag,
  type Reference,
} from './reference.js';
import { GO_ZERO_TIME, rfc3339Nano, unixSeconds } from './time.js';
import { MEDIA_TYPES, normalizeContainerConfig, normalizeImageConfig, type ImageConfig, type Manifest } from './types.js';

export type { ImageRecord } from './image-record.js';

export interface CreateImageInput {
  config: ImageConfig;
  /** Layer blobs, already in the content store, bottom-most first. */
  layers: Descriptor[];
  layerSizes?: number[];
  parent?: string;
  tags?: string[];
}

/** An image whose config, manifest and layer blobs are already in the content store, recorded as they are. */
export interface AdoptImageInput {
  /** sha256 of the config bytes as received: the image ID. */
  configDigest: string;
  manifestDigest: string;
  manifestMediaType: string;
  /** Layer descriptors as the manifest lists them (media types kept), bottom-most first. */
  layers: Descriptor[];
  /** Must equal the config's rootfs.diff_ids. */
  diffIds: string[];
  /** Unpacked size of each layer. */
  layerSizes: number[];
  /** `name[:tag]` references to point at the image (familiar form accepted). */
  tags?: string[];
  /** `name@sha256:…` references (the manifest digest a registry serves). */
  repoDigests?: string[];
  parent?: string;
}

export interface RemoveOptions {
  force?: boolean;
  /**
   * Delete the image's blobs and snapshots that nothing else needs (default true). pruneImages passes
   * false and runs gc() once afterwards.
   */
  collect?: boolean;
}

interface RefsFile {
  refs: Record<string, string>;
}

/** Image configs kept in memory: most are a few KiB, but step n of a long build has n history entries. */
const CONFIG_CACHE_ENTRIES = 64;
const CONFIG_CACHE_CHARS = 8 << 20;
/** An index read from files changed less than this long ago may miss a change made in the same clock tick. */
const RACY_MS = 1000;
/** How long a check of the files' stat is trusted (what a read-only instance may lag behind the writer). */
const RECHECK_MS = 5;
/** Records removed per lock hold by removeUntagged(): other requests get in between batches. */
const REMOVE_BATCH = 256;

const labelsOf = (cfg: ImageConfig): Record<string, string> | null => cfg.config?.Labels ?? null;

export class ImageStore {
  readonly root: string;
  readonly content: ContentStore;
  readonly snapshots: Snapshotter | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly configTexts = new Map<string, string>();
  private configChars = 0;
  private idx: RecordIndex | undefined;
  /** The files' stat when idx matched them; `settled` false: read too soon after a change to trust. */
  private stamp = '';
  private settled = false;
  private checkedAt = -Infinity;
  /** A batch of this process's own record writes is under way: the index already has them. */
  private writing = false;
  /** Labels of records written before `labels` was recorded, read from their configs once. */
  private readonly labelCache = new Map<string, Record<string, string> | null>();

  constructor(root: string, content: ContentStore, snapshots?: Snapshotter) {
    this.root = root;
    this.content = content;
    this.snapshots = snapshots;
  }

  static async open(root: string, content: ContentStore, snapshots?: Snapshotter): Promise<ImageStore> {
    await fsp.mkdir(path.join(root, 'meta'), { recursive: true, mode: 0o700 });
    return new ImageStore(root, content, snapshots);
  }

  // --- persistence --------------------------------------------------------------------------

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private recordPath(id: string): string {
    return path.join(this.root, 'meta', `${hexOf(id)}.json`);
  }

  private refsPath(): string {
    return path.join(this.root, 'refs.json');
  }

  private statStamp(): { stamp: string; newest: number } {
    const m = fs.statSync(path.join(this.root, 'meta'), { bigint: true });
    const r = fs.statSync(this.refsPath(), { bigint: true, throwIfNoEntry: false });
    const newest = Math.max(Number(m.mtimeNs / 1_000_000n), r ? Number(r.mtimeNs / 1_000_000n) : 0);
    return { stamp: `${m.ino}:${m.mtimeNs}/${r?.ino}:${r?.mtimeNs}:${r?.size}`, newest };
  }

  /** The index, (re)read from disk when this process did not make the files' last change. */
  private index(): RecordIndex {
    // One stat pair serves a burst of lookups (a remove makes several; a prune thousands).
    const now = performance.now();
    if (this.idx && this.writing) return this.idx;
    if (this.idx && this.settled && now - this.checkedAt < RECHECK_MS) return this.idx;
    const st = this.statStamp();
    this.checkedAt = now;
    if (this.idx && this.settled && st.stamp === this.stamp) return this.idx;
    const idx = new RecordIndex();
    const refs = readJsonOrSync<RefsFile>(this.refsPath(), { refs: {} });
    for (const f of fs.readdirSync(path.join(this.root, 'meta'))) {
      if (!/^[a-f0-9]{64}\.json$/.test(f)) continue;
      const r = readJsonOrSync<ImageRecord | null>(path.join(this.root, 'meta', f), null);
      if (r) idx.put(r);
    }
    for (const [k, v] of Object.entries(refs.refs)) idx.setRef(k, v);
    this.idx = idx;
    this.stamp = st.stamp;
    this.settled = Date.now() - st.newest > RACY_MS;
    return idx;
  }

  /** After this process's own write (under the lock): the index already has it. */
  private restamp(idx: RecordIndex): void {
    this.idx = idx;
    this.stamp = this.statStamp().stamp;
    this.settled = true;
  }

  private async writeRefs(idx: RecordIndex): Promise<void> {
    await writeJsonAtomic(this.refsPath(), { refs: idx.refsObject() } satisfies RefsFile, 0o600);
  }

  private async writeRecord(idx: RecordIndex, rec: ImageRecord): Promise<void> {
    await writeJsonAtomic(this.recordPath(rec.id), rec, 0o600);
    idx.put(rec);
  }

  private async readRecord(id: string): Promise<ImageRecord | null> {
    const r = this.index().record(id);
    return r ? { ...r } : null;
  }

  async records(): Promise<ImageRecord[]> {
    return [...this.index().records()].map((r) => ({ ...r }));
  }

  /** Reads the index (every record once) ahead of the first lookup. */
  warm(): void {
    this.index();
  }

  /** Ids of the images whose parent is `id` (classic build chains). */
  childrenOf(id: string): string[] {
    return this.index().childrenOf(id);
  }

  /** config.config.Labels without reading the config of a record that has them. */
  async labels(rec: ImageRecord): Promise<Record<string, string> | null> {
    if (rec.labels !== undefined) return rec.labels;
    let l = this.labelCache.get(rec.id);
    if (l === undefined) {
      l = labelsOf(await this.config(rec));
      this.labelCache.set(rec.id, l);
    }
    return l;
  }

  async config(idOrRecord: string | ImageRecord): Promise<ImageConfig> {
    const id = typeof idOrRecord === 'string' ? idOrRecord : idOrRecord.id;
    // The config is content-addressed, so its text never changes: kept, and parsed afresh per caller.
    let text = this.configTexts.get(id);
    if (text === undefined) {
      text = (await this.content.readBuffer(id)).toString('utf8');
      if (text.length <= CONFIG_CACHE_CHARS) {
        while (this.configTexts.size >= CONFIG_CACHE_ENTRIES || this.configChars + text.length > CONFIG_CACHE_CHARS) {
          const [oldest, old] = this.configTexts.entries().next().value!;
          this.configTexts.delete(oldest);
          this.configChars -= old.length;
        }
        this.configTexts.set(id, text);
        this.configChars += text.length;
      }
    }
    return JSON.parse(text) as ImageConfig;
  }

  async manifest(rec: ImageRecord): Promise<Manifest> {
    return this.content.readJson<Manifest>(rec.manifestDigest);
  }

  // --- create / tag ---------------------------------------------------------------------------

  /** Stores config and manifest blobs and the record. Idempotent: the same config gives the same image. */
  async create(input: CreateImageInput): Promise<ImageRecord> {
    const config = normalizeImageConfig(input.config);
    if (config.rootfs.diff_ids.length !== input.layers.length) {
      throw new ImageError('INVALID', `config lists ${config.rootfs.diff_ids.length} diff_ids but ${input.layers.length} layers were given`);
    }
    for (const l of input.layers) {
      if (!(await this.content.has(l.digest))) throw new ImageError('INVALID', `layer blob ${l.digest} is not in the content store`);
    }
    const cfgDesc = await this.content.putJson(config, MEDIA_TYPES.dockerConfig);
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.dockerManifest,
      config: { mediaType: MEDIA_TYPES.dockerConfig, size: cfgDesc.size, digest: cfgDesc.digest },
      layers: input.layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
    };
    const manDesc = await this.content.putJson(manifest, MEDIA_TYPES.dockerManifest);
    const id = cfgDesc.digest;
    const rec = await this.locked(async () => {
      const idx = this.index();
      const found = idx.record(id);
      const existing = found ? { ...found } : null;
      const rec: ImageRecord = existing ?? {
        id,
        manifestDigest: manDesc.digest,
        manifestMediaType: MEDIA_TYPES.dockerManifest,
        layers: manifest.layers,
        diffIds: config.rootfs.diff_ids,
        layerSizes: input.layerSizes ?? input.layers.map(() => 0),
        created: config.created,
      };
      if (existing && input.layerSizes) rec.layerSizes = input.layerSizes;
      if (input.parent && !rec.parent) rec.parent = input.parent;
      rec.labels = labelsOf(config);
      await this.writeRecord(idx, rec);
      this.restamp(idx);
      return rec;
    });
    for (const t of input.tags ?? []) await this.tag(id, t);
    return (await this.readRecord(rec.id)) ?? rec;
  }

  /**
   * Records an image from bytes already in the content store, without re-encoding anything: the image
   * ID stays the digest of the config bytes as pulled or loaded, and the manifest stays the one the
   * registry or archive had. Idempotent: adopting an image that exists keeps its record (and manifest)
   * and only refreshes layer sizes and references. Runs under the store's lock.
   */
  async adopt(input: AdoptImageInput): Promise<ImageRecord> {
    const id = input.configDigest;
    if (input.diffIds.length !== input.layers.length) {
      throw new ImageError('INVALID', `image ${id} lists ${input.diffIds.length} diff_ids but ${input.layers.length} layers`);
    }
    if (input.layerSizes.length !== input.layers.length) {
      throw new ImageError('INVALID', `image ${id}: ${input.layerSizes.length} layer sizes for ${input.layers.length} layers`);
    }
    for (const d of [id, input.manifestDigest, ...input.layers.map((l) => l.digest)]) {
      if (!(await this.content.has(d))) throw new ImageError('INVALID', `blob ${d} is not in the content store`);
    }
    let config: ImageConfig;
    try {
      config = await this.content.readJson<ImageConfig>(id);
    } catch {
      throw new ImageError('INVALID', `image config ${id} is not valid JSON`);
    }
    const cfgDiffIds = config.rootfs?.diff_ids;
    if (!Array.isArray(cfgDiffIds) || cfgDiffIds.length !== input.diffIds.length || cfgDiffIds.some((d, i) => d !== input.diffIds[i])) {
      throw new ImageError('INVALID', `image config ${id} does not list the given diff_ids`);
    }
    const tagRefs = (input.tags ?? []).map((t) => {
      const r = withDefaultTag(parseNormalizedNamed(t));
      if (r.digest !== undefined) throw new ImageError('INVALID', `${t} is a digest reference, not a tag`);
      return r;
    });
    const digestRefs = (input.repoDigests ?? []).map((t) => {
      const r = parseNormalizedNamed(t);
      if (r.digest === undefined || r.tag !== undefined) throw new ImageError('INVALID', `${t} is not a name@digest reference`);
      return r;
    });
    return this.locked(async () => {
      const idx = this.index();
      const found = idx.record(id);
      const existing = found ? { ...found } : null;
      const rec: ImageRecord = existing ?? {
        id,
        manifestDigest: input.manifestDigest,
        manifestMediaType: input.manifestMediaType,
        layers: input.layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
        diffIds: [...input.diffIds],
        layerSizes: [...input.layerSizes],
        created: typeof config.created === 'string' ? config.created : '',
      };
      if (existing && input.layerSizes.some((n) => n > 0)) rec.layerSizes = [...input.layerSizes];
      if (input.parent && !rec.parent) rec.parent = input.parent;
      if (tagRefs.length) rec.lastTagTime = rfc3339Nano();
      rec.labels = labelsOf(config);
      await this.writeRecord(idx, rec);
      if (tagRefs.length || digestRefs.length) {
        for (const r of [...tagRefs, ...digestRefs]) idx.setRef(referenceString(r), id);
        await this.writeRefs(idx);
      }
      this.restamp(idx);
      return { ...rec };
    });
  }

  /** Points `target` (familiar form accepted; `latest` by default) at the image `source` resolves to. */
  async tag(source: string, target: string): Promise<void> {
    const rec = await this.get(source);
    const ref = withDefaultTag(parseNormalizedNamed(target));
    if (ref.digest !== undefined && ref.tag !== undefined) {
      throw new ImageError('INVALID', 'refusing to create a tag with a digest reference');
    }
    await this.locked(async () => {
      const idx = this.index();
      idx.setRef(referenceString(ref), rec.id);
      await this.writeRefs(idx);
      const r = idx.record(rec.id);
      if (r) await this.writeRecord(idx, { ...r, lastTagTime: rfc3339Nano() });
      this.restamp(idx);
    });
  }

  /** Removes one reference; returns the image id it pointed at, or null if it did not exist. */
  async untag(refStr: string): Promise<string | null> {
    const ref = withDefaultTag(parseNormalizedNamed(refStr));
    const key = referenceString(ref);
    return this.locked(async () => {
      const idx = this.index();
      const id = idx.ref(key);
      if (id === undefined) return null;
      idx.deleteRef(key);
      await this.writeRefs(idx);
      this.restamp(idx);
      return id;
    });
  }

  /** All references to an image, parsed. */
  async references(id: string): Promise<Reference[]> {
    return this.index()
      .refsOf(id)
      .map((k) => parseNormalizedNamed(k))
      .sort((a, b) => (referenceString(a) < referenceString(b) ? -1 : 1));
  }

  // --- lookup -------------------------------------------------------------------------------

  /**
   * Resolves as Docker's GetImage does: full id (`sha256:…` or 64 hex), then a reference
   * (`name`, `name:tag`, `name@digest`), then a unique id prefix (with or without `sha256:`).
   */
  async get(idOrRef: string): Promise<ImageRecord> {
    const rec = await this.find(idOrRef);
    if (!rec) throw noSuchImage(idOrRef);
    return rec;
  }

  async find(idOrRef: string): Promise<ImageRecord | null> {
    if (isImageId(idOrRef)) {
      return this.readRecord(idOrRef.startsWith('sha256:') ? idOrRef : 'sha256:' + idOrRef);
    }
    let ref: Reference | undefined;
    try {
      ref = withDefaultTag(parseNormalizedNamed(idOrRef));
    } catch {
      ref = undefined;
    }
    const idx = this.index();
    if (ref) {
      const id = idx.ref(referenceString(ref));
      if (id) {
        const r = await this.readRecord(id);
        if (r) return r;
      }
      // name@digest also matches an image whose manifest has that digest (pulled by digest).
      if (ref.digest) {
        const m = idx.withManifest(ref.digest);
        if (m) return this.readRecord(m);
      }
    }
    const prefix = idOrRef.startsWith('sha256:') ? idOrRef.slice(7) : idOrRef;
    if (/^[a-f0-9]{1,63}$/.test(prefix)) {
      const matches = idx.idsWithPrefix(prefix, 2);
      if (matches.length > 1) throw new ImageError('INVALID', `ambiguous image id prefix ${idOrRef}`);
      if (matches.length === 1) return this.readRecord(matches[0]!);
    }
    return null;
  }

  // --- remove -------------------------------------------------------------------------------

  /**
   * Docker's image delete: by reference, untag (and delete the image when it was the last one);
   * by id, delete (refusing without `force` when several repositories reference it).
   * Then, unless `collect` is false, the blobs and snapshots no other image needs are removed, as
   * dockerd does, except anything a lease holds (a pull, push, load, save or build in flight) and any
   * snapshot a container or another snapshot still sits on. Removed layers are listed as `Deleted`
   * chain IDs after the image, as dockerd lists them.
   */
  async remove(idOrRef: string, opts: RemoveOptions = {}): Promise<ImageDeleteItem[]> {
    const rec = await this.get(idOrRef);
    const refs = await this.references(rec.id);
    const out: ImageDeleteItem[] = [];
    const named = isImageId(idOrRef) ? undefined : withDefaultTagSafe(idOrRef);
    const byRef = named !== undefined && refs.some((r) => referenceString(r) === referenceString(named));
    if (byRef) {
      const r = named!;
      await this.untag(referenceString(r));
      out.push({ Untagged: familiarString(r) });
      if (refs.length > 1) return out;
    } else {
      const repos = new Set(refs.map((r) => `${r.domain}/${r.path}`));
      if (repos.size > 1 && !opts.force) {
        throw new ImageError('CONFLICT', `conflict: unable to delete ${hexOf(rec.id).slice(0, 12)} (must be forced) - image is referenced in multiple repositories`);
      }
      for (const r of refs) {
        await this.untag(referenceString(r));
        out.push({ Untagged: familiarString(r) });
      }
    }
    const children = this.index().childrenOf(rec.id);
    if (children.length && !opts.force) {
      if (out.length) return out; // untagged; kept as a parent of other images, as Docker does
      throw new ImageError('CONFLICT', `conflict: unable to delete ${hexOf(rec.id).slice(0, 12)} (cannot be forced) - image has dependent child images`);
    }
    // Record removal and collection under one lock: an adopt() that would reuse these blobs either
    // finished before (its record is seen) or waits (and its lease still holds them).
    const removedChains = await this.locked(async () => {
      const idx = this.index();
      // One small unlink: synchronous costs ~20 µs, an async rm two thread-pool round trips (prune does thousands).
      fs.rmSync(this.recordPath(rec.id), { force: true });
      idx.delete(rec.id);
      this.labelCache.delete(rec.id);
      this.restamp(idx);
      return opts.collect === false ? [] : this.collectLocked(idx, [rec]);
    });
    out.push({ Deleted: rec.id });
    for (const c of removedChains) out.push({ Deleted: c });
    return out;
  }

  /**
   * Deletes the records of many images at once (a build-cache prune), deepest first as given: an image
   * that has references by now is kept. The caller sees to children (as remove() with force does).
   * Batches of REMOVE_BATCH under the lock, each one parallel unlinks off the event loop and one fsync
   * of the directory, with a turn of the event loop between batches: a synchronous unlink per image
   * blocked every other request (2 ms each on a busy disk; issue #16). Returns the records removed, for
   * collect().
   */
  async removeUntagged(ids: string[]): Promise<ImageRecord[]> {
    const gone: ImageRecord[] = [];
    for (let i = 0; i < ids.length; i += REMOVE_BATCH) {
      const batch = ids.slice(i, i + REMOVE_BATCH);
      await this.locked(async () => {
        const idx = this.index();
        const doomed: ImageRecord[] = [];
        for (const id of batch) {
          const r = idx.record(id);
          if (!r || idx.refsOf(id).length) continue;
          doomed.push({ ...r });
          idx.delete(id);
          this.labelCache.delete(id);
        }
        // Index first: a crash after it but before the unlinks only brings back untagged images.
        this.writing = true;
        try {
          await Promise.all(doomed.map((r) => fsp.unlink(this.recordPath(r.id)).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)))));
          if (doomed.length) await fsyncDir(path.join(this.root, 'meta'));
        } finally {
          this.writing = false;
          this.restamp(idx);
        }
        gone.push(...doomed);
      });
      await new Promise((res) => setImmediate(res));
    }
    return gone;
  }

  private leases(): Lease[] {
    return activeLeases({ content: this.content });
  }

  /**
   * After remove(…, { collect: false }) or removeUntagged() of many images (a prune): deletes what
   * remove() would have, in one pass. Returns the chain IDs of removed snapshots.
   */
  async collect(gone: ImageRecord[], deletedBlobs?: string[]): Promise<string[]> {
    // The lock is taken per batch, not for the whole pass: a prune's collection of thousands of blobs
    // must not hold up a pull or a build step meanwhile. What is needed is re-checked under it.
    return this.collectIn((fn) => this.locked(() => fn(this.index())), gone, deletedBlobs);
  }

  /**
   * Deletes blobs and committed snapshots of `gone` that no remaining image needs and no lease holds.
   * Leases are re-read before every deletion. Returns the chain IDs of removed snapshots, top first.
   */
  private collectLocked(idx: RecordIndex, gone: ImageRecord[]): Promise<string[]> {
    return this.collectIn((fn) => fn(idx), gone);
  }

  /**
   * `under` runs a step with the index, under the store's lock. `deletedBlobs` receives the digests of
   * the blobs deleted (a prune counts their bytes).
   */
  private async collectIn(under: <T>(fn: (idx: RecordIndex) => Promise<T>) => Promise<T>, gone: ImageRecord[], deletedBlobs?: string[]): Promise<string[]> {
    const leasedBlob = (d: string): boolean => this.leases().some((l) => l.blobs.has(d));
    const leasedSnap = (c: string): boolean => this.leases().some((l) => l.snapshots.has(c));
    // An image being pushed or saved right now keeps everything: gc() collects it later.
    const doomed = gone.filter((g) => !this.leases().some((l) => l.images.has(g.id)));
    const blobs = new Set<string>();
    for (const g of doomed) for (const d of [g.id, g.manifestDigest, ...g.layers.map((l) => l.digest)]) blobs.add(d);
    // In small parallel batches (a prune has thousands), use and leases checked again for each batch.
    const list = [...blobs];
    for (let i = 0; i < list.length; i += 32) {
      await under(async (idx) => {
        const batch = list.slice(i, i + 32).filter((d) => !idx.blobUsed(d) && !leasedBlob(d));
        await Promise.all(
          batch.map(async (d) => {
            if ((await this.content.delete(d)) && deletedBlobs) deletedBlobs.push(d);
          }),
        );
      });
    }
    const removed: string[] = [];
    if (!this.snapshots) return removed;
    const snapshots = this.snapshots;
    // One walk per distinct layer list (a build chain's images share a few, interned by the index),
    // deepest first: a snapshot can only go once nothing sits on it.
    const lists = [...new Set(doomed.map((g) => g.diffIds))].sort((a, b) => b.length - a.length);
    const seen = new Set<string>();
    for (const diffIds of lists) {
      for (const c of chainIds(diffIds).reverse()) {
        if (seen.has(c)) break; // tried from a deeper list already, with everything below it
        seen.add(c);
        const outcome = await under(async (idx): Promise<'kept' | 'gone' | 'removed'> => {
          if (idx.chainUsed(c) || leasedSnap(c)) return 'kept'; // everything below is needed too
          try {
            // The record's write is synced in the background and the files go through the trash, so a
            // prune of thousands of layers neither waits on an fsync per layer nor deletes trees inline.
            await snapshots.remove(c, { durability: 'deferred' });
            return 'removed';
          } catch (e) {
            if (e instanceof SnapshotError && e.code === 'NOT_FOUND') return 'gone'; // never unpacked, or gone with another image
            return 'kept'; // a container's snapshot still sits on it: keep it and what is below
          }
        });
        if (outcome === 'kept') break;
        if (outcome === 'removed') removed.push(c);
      }
    }
    return removed;
  }

  // --- Engine API shapes --------------------------------------------------------------------

  async inspect(idOrRef: string): Promise<ImageInspect> {
    const rec = await this.get(idOrRef);
    const cfg = await this.config(rec);
    const refs = await this.references(rec.id);
    const size = sum(rec.layerSizes);
    const out: ImageInspect = {
      Id: rec.id,
      RepoTags: refs.filter((r) => r.tag !== undefined && r.digest === undefined).map(familiarString),
      RepoDigests: refs.filter((r) => r.digest !== undefined).map(familiarString),
      Parent: rec.parent ?? '',
      Comment: cfg.comment ?? '',
      Created: cfg.created,
      Container: cfg.container ?? '',
      ContainerConfig: normalizeContainerConfig(cfg.container_config),
      DockerVersion: cfg.docker_version ?? '',
      Author: cfg.author ?? '',
      Config: cfg.config ? normalizeContainerConfig(cfg.config) : null,
      Architecture: cfg.architecture,
      // Key order as dockerd emits it; Variant and OsVersion are omitempty.
      ...(cfg.variant ? { Variant: cfg.variant } : {}),
      Os: cfg.os,
      ...(cfg.os_version ? { OsVersion: cfg.os_version } : {}),
      Size: size,
      VirtualSize: size,
      GraphDriver: { Data: await this.graphDriverData(rec), Name: dockerDriverName(this.snapshots?.driver) },
      RootFS: rec.diffIds.length ? { Type: 'layers', Layers: [...rec.diffIds] } : { Type: 'layers' },
      Metadata: { LastTagTime: rec.lastTagTime ?? GO_ZERO_TIME },
    };
    return out;
  }

  private async graphDriverData(rec: ImageRecord): Promise<Record<string, string> | null> {
    // moby's btrfs and vfs drivers have no metadata to show (GetMetadata returns nil).
    if (!this.snapshots || this.snapshots.driver !== 'overlay' || !rec.diffIds.length) return null;
    const chain = chainIds(rec.diffIds);
    try {
      const dirs = await Promise.all(chain.map((c) => this.snapshots!.dirPath(c)));
      const top = dirs[dirs.length - 1]!;
      const data: Record<string, string> = {};
      if (dirs.length > 1) data['LowerDir'] = dirs.slice(0, -1).reverse().map((d) => `${d}/fs`).join(':');
      data['MergedDir'] = `${top}/merged`;
      data['UpperDir'] = `${top}/fs`;
      data['WorkDir'] = `${top}/work`;
      return data;
    } catch {
      return null; // not unpacked
    }
  }

  async history(idOrRef: string): Promise<ImageHistoryItem[]> {
    const rec = await this.get(idOrRef);
    const cfg = await this.config(rec);
    const items: ImageHistoryItem[] = [];
    let layer = 0;
    for (const h of cfg.history ?? []) {
      let size = 0;
      if (!h.empty_layer) {
        size = rec.layerSizes[layer] ?? 0;
        layer++;
      }
      items.unshift({ Comment: h.comment ?? '', Created: unixSeconds(h.created), CreatedBy: h.created_by ?? '', Id: '<missing>', Size: size, Tags: null });
    }
    // Fill ids (and tags) along the local parent chain, as Docker does.
    let cur: ImageRecord | null = rec;
    for (const item of items) {
      if (!cur) break;
      item.Id = cur.id;
      const tags = (await this.references(cur.id)).filter((r) => r.tag !== undefined && r.digest === undefined).map(familiarString);
      item.Tags = tags.length ? tags : null;
      cur = cur.parent ? await this.readRecord(cur.parent) : null;
    }
    return items;
  }

  /** GET /images/json. */
  async listImages(opts: { all?: boolean } = {}): Promise<ImageSummary[]> {
    const idx = this.index();
    const out: Array<ImageSummary & { _created: string }> = [];
    for (const rec of [...idx.records()]) {
      const keys = idx.refsOf(rec.id);
      const mine = keys.length ? keys.map((k) => parseNormalizedNamed(k)).sort((a, b) => (referenceString(a) < referenceString(b) ? -1 : 1)) : [];
      let repoTags: string[] | null = mine.filter((r) => r.tag !== undefined && r.digest === undefined).map(familiarString);
      let repoDigests: string[] | null = mine.filter((r) => r.digest !== undefined).map(familiarString);
      if (!repoTags.length) repoTags = null;
      if (!repoDigests.length) repoDigests = null;
      if (!repoTags && !repoDigests) {
        if (!opts.all && idx.hasChildren(rec.id)) continue; // intermediate build image
        repoDigests = ['<none>@<none>'];
        repoTags = ['<none>:<none>'];
      }
      const size = sum(rec.layerSizes);
      out.push({
        Containers: -1,
        Created: unixSeconds(rec.created),
        Id: rec.id,
        // Records written before labels were copied into them read their config once.
        Labels: rec.labels !== undefined ? rec.labels : await this.labels(rec),
        ParentId: rec.parent ?? '',
        RepoDigests: repoDigests,
        RepoTags: repoTags,
        SharedSize: -1,
        Size: size,
        VirtualSize: size,
        _created: rec.created,
      });
    }
    out.sort((a, b) => b.Created - a.Created || (a._created < b._created ? 1 : a._created > b._created ? -1 : 0));
    return out.map(({ _created, ...s }) => s);
  }
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function withDefaultTagSafe(s: string): Reference | undefined {
  try {
    return withDefaultTag(parseNormalizedNamed(s));
  } catch {
    return undefined;
  }
}

function noSuchImage(idOrRef: string): ImageError {
  const ref = withDefaultTagSafe(idOrRef);
  return new ImageError('NOT_FOUND', `No such image: ${ref && !isImageId(idOrRef) ? familiarString(ref) : idOrRef}`);
}
