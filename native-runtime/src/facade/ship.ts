// The Ship half of the facade (pull, push, save, load, export, prune, df), in dockerode's shapes. Berth
// builds one per data root. Every registry contact goes through `policy`, so the allow-list, the
// insecure-registry rule and offline mode hold for explicit pulls and for anything that pulls implicitly.
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { exportSnapshot } from '../archive/export-snapshot.js';
import { INIT_LAYER_DIR } from '../containers/init-layer.js';
import { withoutEntries } from '../commit/filter.js';
import { toContainer } from '../userns/tar-ids.js';
import type { ContainerIdRange } from '../userns/index.js';
import { load } from '../archive/load.js';
import { save } from '../archive/save.js';
import type { InUse } from '../archive/gc.js';
import type { ContainerSummary, PruneResponse, SystemDf, Volume } from '../engine/types.js';
import type { AuthConfig } from '../registry/auth.js';
import { EngineError, badParameter } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import { RegistryPolicy } from '../registry/allow-list.js';
import { pull } from '../registry/pull.js';
import { push } from '../registry/push.js';
import { imagesDiskUsage } from '../images/disk-usage.js';
import { toEngineError } from '../images/engine-errors.js';
import { streamJob } from '../images/json-lines.js';
import type { ImageStores } from '../images/open.js';
import { pruneImages } from '../images/prune.js';
import { familiarName, familiarString, fullName, parseNormalizedNamed, withDefaultTag, type Reference } from '../images/reference.js';

/** What ShipOps needs to know about containers: which images and snapshots they use, and lookup by id or name. */
export interface ContainerView {
  all(): Array<{
    cfg: { id: string; name: string; imageId: string; snapshotKey: string; config: { Image: string }; userns?: ContainerIdRange; usernsLowers?: string[] };
  }>;
  /** Resolves an id, id prefix or name to the full id; throws EngineError 404 otherwise. */
  resolve(idOrName: string): Promise<string>;
}

export interface ShipOpsDeps {
  stores: ImageStores;
  events: EventBus;
  policy: RegistryPolicy;
  containers: ContainerView;
  /** Private scratch dir for export mounts (inside the data root). */
  tmpDir: string;
  /** Extra things the gc must keep (a running build's snapshots and blobs, …). */
  inUse?: () => InUse;
}

export interface PullArgs {
  authconfig?: AuthConfig;
  platform?: string;
}

export interface PushArgs {
  tag?: string;
  authconfig?: AuthConfig;
}


const toEngine = toEngineError;

function parseRef(s: string): Reference {
  try {
    return parseNormalizedNamed(s);
  } catch (e) {
    throw toEngine(e);
  }
}

export class ShipOps {
  constructor(private readonly d: ShipOpsDeps) {}

  get policy(): RegistryPolicy {
    return this.d.policy;
  }

  /**
   * `docker pull`: rejects (403 not allowed, 404 manifest unknown, 401, 400 bad reference) when the pull
   * fails before its first progress line, as dockerd answers /images/create with a status; later errors
   * arrive in the stream as an errorDetail line.
   */
  async pull(refStr: string, opts: PullArgs = {}): Promise<Readable> {
    const ref = withDefaultTag(parseRef(refStr));
    // Refused here, before anything else happens (docker.io may still be reached through an allowed mirror).
    if (!this.d.policy.allows(ref.domain) && !this.d.policy.mirrorsFor(ref.domain).length) this.d.policy.check(ref.domain);
    return streamJob(async (emit) => {
      await pull(this.d.stores, refStr, { authconfig: opts.authconfig, platform: opts.platform, policy: this.d.policy, onProgress: emit });
      this.d.events.emit('image', 'pull', familiarString(ref), { name: familiarName(ref) });
    }, { toError: toEngine });
  }

  /**
   * `docker push`: `name[:tag]` plus an optional `tag`. A name without any tag pushes every local tag of
   * that repository, as the Engine API does. Each tag's part ends with {"aux":{"Tag","Digest","Size"}}.
   */
  async push(name: string, opts: PushArgs = {}): Promise<Readable> {
    const named = parseRef(name);
    if (named.digest !== undefined) throw badParameter(`cannot push a digest reference (${name}); push a tag`);
    this.d.policy.check(named.domain);
    let tags: string[];
    if (opts.tag) tags = [opts.tag];
    else if (named.tag !== undefined) tags = [named.tag];
    else {
      const all = await this.d.stores.images.records();
      tags = [];
      for (const r of all) {
        for (const x of await this.d.stores.images.references(r.id)) {
          if (x.domain === named.domain && x.path === named.path && x.tag !== undefined && x.digest === undefined) tags.push(x.tag);
        }
      }
      tags.sort();
      if (!tags.length) throw new EngineError(404, `An image does not exist locally with the tag: ${fullName(named)}`, { reason: 'no such image' });
    }
    const refs = tags.map((t) => `${fullName(named)}:${t}`);
    for (const r of refs) {
      if (!(await this.d.stores.images.find(r))) throw new EngineError(404, `An image does not exist locally with the tag: ${fullName(named)}`, { reason: 'no such image' });
    }
    return streamJob(async (emit) => {
      for (const r of refs) {
        await push(this.d.stores, r, { authconfig: opts.authconfig, policy: this.d.policy, onProgress: emit });
        const ref = parseNormalizedNamed(r);
        this.d.events.emit('image', 'push', familiarString(ref), { name: familiarName(ref) });
      }
    }, { toError: toEngine });
  }

  /** `docker save` of one or more images (names, ids); one `save` event per image when the tar is complete. */
  async save(names: string[]): Promise<Readable> {
    if (!names.length) throw badParameter('no images to save');
    const ids: string[] = [];
    for (const n of names) {
      const rec = await this.d.stores.images.find(n).catch(() => null);
      if (!rec) throw new EngineError(404, `reference does not exist: ${n}`, { reason: 'no such image' });
      if (!ids.includes(rec.id)) ids.push(rec.id);
    }
    const out = await save(this.d.stores, names);
    out.once('end', () => {
      for (const id of ids) this.d.events.emit('image', 'save', id, { name: id });
    });
    return out;
  }

  /** `docker load` of a docker-archive or OCI layout tar (stream or file path). Errors arrive in the stream. */
  async load(input: Readable | string, _opts: { quiet?: boolean } = {}): Promise<Readable> {
    const src = typeof input === 'string' ? fs.createReadStream(input) : input;
    // load's first line comes only when it is done, so it streams at once and errors arrive as a line, as
    // from dockerd's non-quiet load (which has written progress before it can fail).
    return streamJob(
      async (emit) => {
        const res = await load(this.d.stores, src, { onProgress: emit });
        for (const img of res.images) this.d.events.emit('image', 'load', img.id, { name: img.id });
      },
      { toError: toEngine, eager: true },
    );
  }

  /** `docker export` of a container (running or not). */
  async exportContainer(idOrName: string): Promise<Readable> {
    const id = await this.d.containers.resolve(idOrName);
    const rec = this.d.containers.all().find((r) => r.cfg.id === id);
    if (!rec) throw new EngineError(404, `No such container: ${idOrName}`, { reason: 'no such container' });
    const initLayer = path.join(await this.d.stores.snapshots.dirPath(rec.cfg.snapshotKey), INIT_LAYER_DIR);
    const copies = rec.cfg.usernsLowers;
    const out = await exportSnapshot(this.d.stores.snapshots, rec.cfg.snapshotKey, this.d.tmpDir, { initLayer, ...(copies ? { lowers: copies } : {}) });
    this.d.events.emit('container', 'export', id, { image: rec.cfg.config.Image, name: rec.cfg.name.replace(/^\//, '') });
    // A user namespace fallback's layers hold host ids on disk: the tar gets the container's.
    return copies && rec.cfg.userns ? withoutEntries(out, new Set(), toContainer(rec.cfg.userns)) : out;
  }

  /** `docker image prune`, then gc of unreferenced blobs and snapshots. */
  async pruneImages(opts: { filters?: Parameters<typeof pruneImages>[1]['filters'] } = {}): Promise<PruneResponse> {
    const containers = this.d.containers.all();
    const extra = this.d.inUse?.() ?? {};
    const res = await pruneImages(this.d.stores, {
      filters: opts.filters,
      inUseImages: containers.map((c) => c.cfg.imageId),
      inUse: {
        images: extra.images ?? [],
        blobs: extra.blobs ?? [],
        snapshots: [...containers.map((c) => c.cfg.snapshotKey), ...(extra.snapshots ?? [])],
      },
      onDeleted: (it, imageId) => {
        if ('Untagged' in it) this.d.events.emit('image', 'untag', imageId, { name: imageId });
        else if (it.Deleted === imageId) this.d.events.emit('image', 'delete', imageId, { name: imageId });
      },
    });
    this.d.events.emit('image', 'prune', '', { reclaimed: String(res.SpaceReclaimed) });
    return res;
  }

  /**
   * `docker system df`. `containers` come from the container manager with sizes; `volumes` is the
   * volumes module's usage list (empty until it exists).
   */
  async df(containers: ContainerSummary[], volumes: Volume[] = []): Promise<SystemDf> {
    const usage = await imagesDiskUsage(this.d.stores, this.d.containers.all().map((c) => c.cfg.imageId));
    return {
      LayersSize: usage.LayersSize,
      Images: usage.Images as SystemDf['Images'],
      Containers: containers,
      Volumes: volumes,
      BuildCache: [],
      BuilderSize: 0,
    };
  }

  /** Scratch dir for export mounts. */
  static tmpDirFor(root: string): string {
    return path.join(root, 'tmp');
  }
}
