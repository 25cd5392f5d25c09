// ImageStore: image records and references on disk.
//   images/meta/<hex>.json   one record per image (id = config digest)
//   images/refs.json         fully-qualified reference -> image id (rewritten atomically)
// Blobs live in the content store; unpacked layers in the snapshotter (keyed by chain ID).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ContentStore, Descriptor } from '../content/types.js';
import { SnapshotError, type Snapshotter } from '../snapshots/types.js';
import { chainIds } from '../snapshots/chain.js';
import { activeLeases, type Lease } from '../archive/lease.js';
import { readJsonOrSync, writeJsonAtomic } from '../util/atomic.js';
import { hexOf } from '../util/ids.js';
import type { ImageDeleteItem, ImageHistoryItem, ImageInspect, ImageSummary } from './docker-shapes.js';
import { ImageError } from './errors.js';
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

export interface ImageRecord {
  /** sha256:<hex> of the config blob. */
  id: string;
  manifestDigest: string;
  manifestMediaType: string;
  layers: Descriptor[];
  diffIds: string[];
  /** Unpacked size of each layer (Docker's DiffSize); image Size is their sum. */
  layerSizes: number[];
  /** config.created, copied for sorting without reading the blob. */
  created: string;
  /** Local parent image (classic builder steps), for history and ParentId. */
  parent?: string;
  lastTagTime?: string;
}

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

/** Image configs kept in memory (a few KiB each). */
const CONFIG_CACHE_ENTRIES = 64;

export class ImageStore {
  readonly root: string;
  readonly content: ContentStore;
  readonly snapshots: Snapshotter | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly configTexts = new Map<string, string>();

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

  private async readRefs(): Promise<RefsFile> {
    return readJsonOrSync<RefsFile>(path.join(this.root, 'refs.json'), { refs: {} });
  }

  private writeRefs(refs: RefsFile): Promise<void> {
    return writeJsonAtomic(path.join(this.root, 'refs.json'), refs, 0o600);
  }

  private async readRecord(id: string): Promise<ImageRecord | null> {
    return readJsonOrSync<ImageRecord | null>(this.recordPath(id), null);
  }

  async records(): Promise<ImageRecord[]> {
    const out: ImageRecord[] = [];
    for (const f of await fsp.readdir(path.join(this.root, 'meta'))) {
      if (!/^[a-f0-9]{64}\.json$/.test(f)) continue;
      const r = await this.readRecord('sha256:' + f.slice(0, 64));
      if (r) out.push(r);
    }
    return out;
  }

  async config(idOrRecord: string | ImageRecord): Promise<ImageConfig> {
    const id = typeof idOrRecord === 'string' ? idOrRecord : idOrRecord.id;
    // The config is content-addressed, so its text never changes: kept, and parsed afresh per caller.
    let text = this.configTexts.get(id);
    if (text === undefined) {
      text = (await this.content.readBuffer(id)).toString('utf8');
      if (this.configTexts.size >= CONFIG_CACHE_ENTRIES) this.configTexts.delete(this.configTexts.keys().next().value!);
      this.configTexts.set(id, text);
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
      const existing = await this.readRecord(id);
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
      await writeJsonAtomic(this.recordPath(id), rec, 0o600);
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
      const existing = await this.readRecord(id);
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
      await writeJsonAtomic(this.recordPath(id), rec, 0o600);
      if (tagRefs.length || digestRefs.length) {
        const refs = await this.readRefs();
        for (const r of [...tagRefs, ...digestRefs]) refs.refs[referenceString(r)] = id;
        await this.writeRefs(refs);
      }
      return rec;
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
      const refs = await this.readRefs();
      refs.refs[referenceString(ref)] = rec.id;
      await this.writeRefs(refs);
      const r = await this.readRecord(rec.id);
      if (r) {
        r.lastTagTime = rfc3339Nano();
        await writeJsonAtomic(this.recordPath(rec.id), r, 0o600);
      }
    });
  }

  /** Removes one reference; returns the image id it pointed at, or null if it did not exist. */
  async untag(refStr: string): Promise<string | null> {
    const ref = withDefaultTag(parseNormalizedNamed(refStr));
    const key = referenceString(ref);
    return this.locked(async () => {
      const refs = await this.readRefs();
      const id = refs.refs[key];
      if (id === undefined) return null;
      delete refs.refs[key];
      await this.writeRefs(refs);
      return id;
    });
  }

  /** All references to an image, parsed. */
  async references(id: string): Promise<Reference[]> {
    const refs = await this.readRefs();
    return Object.entries(refs.refs)
      .filter(([, v]) => v === id)
      .map(([k]) => parseNormalizedNamed(k))
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
    if (ref) {
      const refs = await this.readRefs();
      const id = refs.refs[referenceString(ref)];
      if (id) {
        const r = await this.readRecord(id);
        if (r) return r;
      }
      // name@digest also matches an image whose manifest has that digest (pulled by digest).
      if (ref.digest) {
        for (const r of await this.records()) if (r.manifestDigest === ref.digest) return r;
      }
    }
    const prefix = idOrRef.startsWith('sha256:') ? idOrRef.slice(7) : idOrRef;
    if (/^[a-f0-9]{1,63}$/.test(prefix)) {
      const matches = (await fsp.readdir(path.join(this.root, 'meta'))).filter((f) => f.startsWith(prefix) && f.endsWith('.json'));
      if (matches.length > 1) throw new ImageError('INVALID', `ambiguous image id prefix ${idOrRef}`);
      if (matches.length === 1) return this.readRecord('sha256:' + matches[0]!.slice(0, 64));
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
    const children = (await this.records()).filter((r) => r.parent === rec.id);
    if (children.length && !opts.force) {
      if (out.length) return out; // untagged; kept as a parent of other images, as Docker does
      throw new ImageError('CONFLICT', `conflict: unable to delete ${hexOf(rec.id).slice(0, 12)} (cannot be forced) - image has dependent child images`);
    }
    // Record removal and collection under one lock: an adopt() that would reuse these blobs either
    // finished before (its record is seen) or waits (and its lease still holds them).
    const removedChains = await this.locked(async () => {
      await fsp.rm(this.recordPath(rec.id), { force: true });
      return opts.collect === false ? [] : this.collectLocked(rec);
    });
    out.push({ Deleted: rec.id });
    for (const c of removedChains) out.push({ Deleted: c });
    return out;
  }

  private leases(): Lease[] {
    return activeLeases({ content: this.content as unknown as { root: string } });
  }

  /**
   * Deletes blobs and committed snapshots of `gone` that no remaining image needs and no lease holds.
   * Leases are re-read before every deletion. Returns the chain IDs of removed snapshots, top first.
   */
  private async collectLocked(gone: ImageRecord): Promise<string[]> {
    const remaining = await this.records();
    const usedBlobs = new Set<string>();
    const usedChains = new Set<string>();
    for (const r of remaining) {
      usedBlobs.add(r.id).add(r.manifestDigest);
      for (const l of r.layers) usedBlobs.add(l.digest);
      for (const c of chainIds(r.diffIds)) usedChains.add(c);
    }
    const leased = (): { blobs: Set<string>; snaps: Set<string>; images: Set<string> } => {
      const out = { blobs: new Set<string>(), snaps: new Set<string>(), images: new Set<string>() };
      for (const l of this.leases()) {
        l.blobs.forEach((x) => out.blobs.add(x));
        l.snapshots.forEach((x) => out.snaps.add(x));
        l.images.forEach((x) => out.images.add(x));
      }
      return out;
    };
    if (leased().images.has(gone.id)) return []; // being pushed or saved right now: gc() collects it later
    for (const d of [gone.id, gone.manifestDigest, ...gone.layers.map((l) => l.digest)]) {
      if (usedBlobs.has(d) || leased().blobs.has(d)) continue;
      await this.content.delete(d);
    }
    const removed: string[] = [];
    if (this.snapshots) {
      for (const c of chainIds(gone.diffIds).reverse()) {
        if (usedChains.has(c) || leased().snaps.has(c)) break; // everything below is needed too
        try {
          await this.snapshots.remove(c);
        } catch (e) {
          if (e instanceof SnapshotError && e.code === 'NOT_FOUND') continue; // never unpacked
          break; // a container's snapshot still sits on it: keep it and what is below
        }
        removed.push(c);
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
    } as ImageInspect;
    if (cfg.variant) out.Variant = cfg.variant;
    out.Os = cfg.os;
    if (cfg.os_version) out.OsVersion = cfg.os_version;
    out.Size = size;
    out.VirtualSize = size;
    out.GraphDriver = { Data: await this.graphDriverData(rec), Name: 'overlay2' };
    out.RootFS = rec.diffIds.length ? { Type: 'layers', Layers: [...rec.diffIds] } : { Type: 'layers' };
    out.Metadata = { LastTagTime: rec.lastTagTime ?? GO_ZERO_TIME };
    return out;
  }

  private async graphDriverData(rec: ImageRecord): Promise<Record<string, string> | null> {
    if (!this.snapshots || !rec.diffIds.length) return null;
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
    const records = await this.records();
    const refs = await this.readRefs();
    const hasChildren = new Set(records.map((r) => r.parent).filter((p): p is string => !!p));
    const out: Array<ImageSummary & { _created: string }> = [];
    for (const rec of records) {
      const cfg = await this.config(rec);
      const mine = Object.entries(refs.refs)
        .filter(([, v]) => v === rec.id)
        .map(([k]) => parseNormalizedNamed(k))
        .sort((a, b) => (referenceString(a) < referenceString(b) ? -1 : 1));
      let repoTags: string[] | null = mine.filter((r) => r.tag !== undefined && r.digest === undefined).map(familiarString);
      let repoDigests: string[] | null = mine.filter((r) => r.digest !== undefined).map(familiarString);
      if (!repoTags.length) repoTags = null;
      if (!repoDigests.length) repoDigests = null;
      if (!repoTags && !repoDigests) {
        if (!opts.all && hasChildren.has(rec.id)) continue; // intermediate build image
        repoDigests = ['<none>@<none>'];
        repoTags = ['<none>:<none>'];
      }
      const size = sum(rec.layerSizes);
      out.push({
        Containers: -1,
        Created: unixSeconds(cfg.created),
        Id: rec.id,
        Labels: cfg.config?.Labels ?? null,
        ParentId: rec.parent ?? '',
        RepoDigests: repoDigests,
        RepoTags: repoTags,
        SharedSize: -1,
        Size: size,
        VirtualSize: size,
        _created: cfg.created,
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
