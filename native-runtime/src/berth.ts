// Berth: the embedded engine, dockerode-shaped (engine/engine.ts). Construction is cheap; the first
// call takes the root's lock, recovers containers and, on an empty root, builds busybox:latest.
import * as fs from 'node:fs';
import path from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { createCgroupDriver } from './cgroups/detect.js';
import type { CgroupDriver } from './cgroups/types.js';
import { ContainerManager } from './containers/manager.js';
import { ContainerStore } from './containers/store.js';
import type {
  AttachOptions,
  BuildOptions,
  CommitOptions,
  ContainerHandle,
  Engine,
  ExecHandle,
  FiltersArg,
  ImageHandle,
  ListContainersOptions,
  LogsOptions,
  NetworkHandle,
  StatsOptions,
  UpdateOptions,
  VolumeHandle,
} from './engine/engine.js';
import type {
  ContainerChange,
  ContainerCreateBody,
  ContainerInspect,
  ContainerSummary,
  ContainerTop,
  ContainerUpdateResponse,
  ContainerWaitResponse,
  ExecCreateOptions,
  ImageDeleteResponseItem,
  ImageHistoryEntry,
  ImageInspect,
  ImageSummary,
  Info,
  NetworkInspect,
  PathStat,
  PruneResponse,
  SystemDf,
  Version,
  Volume,
  VolumeListResponse,
} from './engine/types.js';
import { EngineError, forbidden, internal, notImplemented } from './errors.js';
import { EventBus } from './events/bus.js';
import { ImageOps, mapErrors } from './images-facade.js';
import { openImageStores, type ImageStores } from './images/open.js';
import { lockFile, NativeCallError, shimPath, unlockFile } from './native/index.js';
import { ensureStarterImage } from './starter/busybox.js';
import { buildDf, buildInfo, buildVersion } from './system-info.js';
import { randomHex } from './util/ids.js';

export interface BerthOptions {
  root?: string;
  run?: string;
  cgroupParent?: string;
  readOnly?: boolean;
}

interface Core {
  stores: ImageStores;
  cgroups: CgroupDriver;
  events: EventBus;
  containers: ContainerManager;
  images: ImageOps;
  engineId: string;
}

const later = (what: string): EngineError => notImplemented(`${what} is not implemented in Berth yet; it comes with a later issue`);

export class Berth implements Engine {
  readonly root: string;
  readonly run: string;
  readonly cgroupParent: string;
  readonly readOnly: boolean;
  private core: Promise<Core> | undefined;
  private lockFd: number | undefined;
  private closed = false;

  constructor(opts: BerthOptions = {}) {
    this.root = path.resolve(opts.root ?? process.env['BERTH_ROOT'] ?? '/var/lib/berth');
    this.run = path.resolve(opts.run ?? process.env['BERTH_RUN'] ?? '/run/berth');
    this.cgroupParent = opts.cgroupParent ?? 'berth';
    this.readOnly = opts.readOnly ?? false;
  }

  /** Runs once, on the first call of any method. A failed attempt is retried by the next call. */
  ready(): Promise<Core> {
    if (this.closed) return Promise.reject(internal('this Berth instance is closed'));
    if (!this.core) {
      this.core = this.init();
      this.core.catch(() => {
        this.core = undefined;
      });
    }
    return this.core;
  }

  private async init(): Promise<Core> {
    if (process.getuid?.() !== 0) {
      throw internal(
        'the embedded Berth engine needs root privileges (as dockerd: "dockerd needs to be started with root privileges"); run the server as root',
      );
    }
    fs.mkdirSync(this.root, { recursive: true, mode: 0o711 });
    if (!this.readOnly) {
      fs.mkdirSync(this.run, { recursive: true, mode: 0o700 });
      this.takeLock();
    }
    try {
      const stores = await openImageStores(this.root, { recover: !this.readOnly });
      const cgroups = createCgroupDriver({ parent: this.cgroupParent });
      const events = new EventBus({ logPath: path.join(this.root, 'events.log'), readOnly: this.readOnly });
      const store = new ContainerStore(path.join(this.root, 'containers'));
      await store.load();
      const containers = new ContainerManager({ store, stores, cgroups, events, run: this.run, readOnly: this.readOnly });
      if (!this.readOnly) {
        await containers.recover();
        const built = await ensureStarterImage(stores);
        if (built) events.emit('image', 'tag', built.id, { name: built.tag });
      }
      const images = new ImageOps(stores, events, () => containers.all().map((r) => ({ id: r.cfg.id, imageId: r.cfg.imageId })));
      return { stores, cgroups, events, containers, images, engineId: this.engineId() };
    } catch (e) {
      this.releaseLock();
      throw e;
    }
  }

  private takeLock(): void {
    const lockPath = path.join(this.root, 'berth.lock');
    try {
      this.lockFd = lockFile(lockPath);
    } catch (e) {
      if (e instanceof NativeCallError && (e.errno === 11 || e.errno === 4)) {
        let holder = '?';
        try {
          holder = fs.readFileSync(lockPath, 'utf8').trim() || '?';
        } catch {
          /* unreadable: still locked */
        }
        throw new EngineError(
          409,
          `${this.root} is in use by another Berth engine (pid ${holder} holds ${lockPath}); only one writer may use a data root — stop it, or open this root with readOnly: true`,
          { cause: e },
        );
      }
      throw internal(`cannot lock ${lockPath}: ${(e as Error).message}`, e);
    }
    // Same inode, truncated in place: the flock stays with the file.
    fs.writeFileSync(lockPath, `${process.pid}\n`);
  }

  private releaseLock(): void {
    if (this.lockFd === undefined) return;
    try {
      fs.writeFileSync(path.join(this.root, 'berth.lock'), '');
      unlockFile(this.lockFd);
    } catch {
      /* the kernel drops it at exit anyway */
    }
    this.lockFd = undefined;
  }

  private engineId(): string {
    const p = path.join(this.root, 'engine-id');
    try {
      return fs.readFileSync(p, 'utf8').trim();
    } catch {
      const hex = randomHex(30).toUpperCase();
      const id = hex.match(/.{4}/g)!.slice(0, 12).join(':');
      if (!this.readOnly) fs.writeFileSync(p, id + '\n');
      return id;
    }
  }

  /** Stops watchers and releases the lock. Containers keep running. */
  async close(): Promise<void> {
    const core = this.core;
    this.closed = true;
    if (core) {
      const c = await core.catch(() => undefined);
      c?.containers.close();
      c?.events.close();
    }
    this.releaseLock();
  }

  private mutable(what: string): void {
    if (this.readOnly) throw forbidden(`cannot ${what}: this Berth instance is read-only`);
  }

  // ─────────────────────────── containers ───────────────────────────

  async listContainers(opts: ListContainersOptions = {}): Promise<ContainerSummary[]> {
    const c = await this.ready();
    return c.containers.list(opts);
  }

  async createContainer(body: ContainerCreateBody): Promise<ContainerHandle> {
    this.mutable('create a container');
    const c = await this.ready();
    const { id, warnings } = await mapErrors(() => c.containers.create(body));
    const h = new BerthContainer(this, id);
    h.warnings = warnings;
    return h;
  }

  getContainer(idOrName: string): ContainerHandle {
    return new BerthContainer(this, idOrName);
  }

  /** @internal the container manager, after ready(). */
  async containers(): Promise<ContainerManager> {
    return (await this.ready()).containers;
  }

  async pruneContainers(): Promise<PruneResponse> {
    throw later('container prune');
  }

  // ─────────────────────────── images ───────────────────────────

  async listImages(opts: { all?: boolean; filters?: FiltersArg; digests?: boolean } = {}): Promise<ImageSummary[]> {
    const c = await this.ready();
    return c.images.list(opts);
  }

  getImage(ref: string): ImageHandle {
    return new BerthImage(this, ref);
  }

  /** @internal */
  async imageOps(): Promise<ImageOps> {
    return (await this.ready()).images;
  }

  async importImage(tar: Readable | string, opts: { repo?: string; tag?: string; changes?: string[]; message?: string } = {}): Promise<Readable> {
    this.mutable('import an image');
    const c = await this.ready();
    const stream = typeof tar === 'string' ? fs.createReadStream(tar) : tar;
    return c.images.import(stream, opts);
  }

  async loadImage(): Promise<Readable> {
    throw later('docker load');
  }

  async buildImage(_context: Readable | string, _opts?: BuildOptions): Promise<Readable> {
    throw later('image build');
  }

  async pull(): Promise<Readable> {
    throw later('pulling from a registry');
  }

  async pruneImages(): Promise<PruneResponse> {
    throw later('image prune');
  }

  // ─────────────────────────── volumes / networks / exec ───────────────────────────

  async createVolume(): Promise<Volume> {
    throw later('volumes');
  }

  async listVolumes(): Promise<VolumeListResponse> {
    throw later('volumes');
  }

  getVolume(name: string): VolumeHandle {
    return {
      name,
      inspect: async () => {
        throw later('volumes');
      },
      remove: async () => {
        throw later('volumes');
      },
    };
  }

  async pruneVolumes(): Promise<PruneResponse> {
    throw later('volumes');
  }

  async createNetwork(): Promise<NetworkHandle> {
    throw later('networks');
  }

  async listNetworks(): Promise<NetworkInspect[]> {
    throw later('networks');
  }

  getNetwork(id: string): NetworkHandle {
    const no = async (): Promise<never> => {
      throw later('networks');
    };
    return { id, inspect: no, remove: no, connect: no, disconnect: no };
  }

  async pruneNetworks(): Promise<PruneResponse> {
    throw later('networks');
  }

  getExec(id: string): ExecHandle {
    const no = async (): Promise<never> => {
      throw later('exec');
    };
    return { id, start: no, resize: no, inspect: no };
  }

  // ─────────────────────────── system ───────────────────────────

  async getEvents(opts: { since?: number | string; until?: number | string; filters?: FiltersArg } = {}): Promise<Readable> {
    const c = await this.ready();
    return c.events.getEvents(opts);
  }

  async info(): Promise<Info> {
    const c = await this.ready();
    const all = await c.containers.list({ all: true });
    const count = (s: string) => all.filter((x) => x.State === s).length;
    return buildInfo({
      id: c.engineId,
      root: this.root,
      containers: { running: count('running'), paused: count('paused'), stopped: all.length - count('running') - count('paused') },
      images: (await c.stores.images.records()).length,
      caps: await c.cgroups.capabilities(),
      shimPath: shimPath(),
      listeners: c.events.listenerCount,
    });
  }

  async version(): Promise<Version> {
    return buildVersion();
  }

  async ping(): Promise<string> {
    await this.ready();
    return 'OK';
  }

  async df(): Promise<SystemDf> {
    const c = await this.ready();
    const containers = await c.containers.list({ all: true, size: true });
    const images = await c.images.list({ all: true });
    const users = new Map<string, number>();
    for (const x of containers) users.set(x.ImageID, (users.get(x.ImageID) ?? 0) + 1);
    for (const img of images) {
      img.Containers = users.get(img.Id) ?? 0;
      img.SharedSize = 0;
    }
    // Committed snapshots are shared between images: count each once.
    let layers = 0;
    for (const s of await c.stores.snapshots.list()) {
      if (s.kind === 'committed') layers += (await c.stores.snapshots.usage(s.key)).size;
    }
    return buildDf(images, containers, layers);
  }
}

class BerthContainer implements ContainerHandle {
  warnings: string[] = [];

  constructor(
    private readonly berth: Berth,
    readonly id: string,
  ) {}

  private async m(): Promise<ContainerManager> {
    return this.berth.containers();
  }

  async inspect(opts: { size?: boolean } = {}): Promise<ContainerInspect> {
    return (await this.m()).inspect(this.id, opts);
  }

  async start(): Promise<void> {
    return (await this.m()).start(this.id);
  }

  async stop(opts: { t?: number; signal?: string } = {}): Promise<void> {
    return (await this.m()).stop(this.id, opts);
  }

  async kill(opts: { signal?: string | number } = {}): Promise<void> {
    return (await this.m()).kill(this.id, opts);
  }

  async restart(opts: { t?: number } = {}): Promise<void> {
    return (await this.m()).restart(this.id, opts);
  }

  async remove(opts: { force?: boolean; v?: boolean } = {}): Promise<void> {
    return (await this.m()).remove(this.id, opts);
  }

  async wait(opts: { condition?: 'not-running' | 'next-exit' | 'removed' } = {}): Promise<ContainerWaitResponse> {
    return (await this.m()).wait(this.id, opts.condition);
  }

  async rename(opts: { name: string }): Promise<void> {
    return (await this.m()).rename(this.id, opts.name);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async logs(opts: LogsOptions & { follow?: boolean } = {}): Promise<any> {
    return (await this.m()).logs(this.id, opts);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async stats(_opts?: StatsOptions): Promise<any> {
    throw later('container stats');
  }

  async top(): Promise<ContainerTop> {
    throw later('container top');
  }

  async changes(): Promise<ContainerChange[] | null> {
    throw later('container diff');
  }

  async exec(_opts: ExecCreateOptions): Promise<ExecHandle> {
    throw later('exec');
  }

  async attach(_opts: AttachOptions): Promise<Duplex> {
    throw later('attach');
  }

  async resize(): Promise<void> {
    throw later('tty resize');
  }

  async pause(): Promise<void> {
    return (await this.m()).pause(this.id);
  }

  async unpause(): Promise<void> {
    return (await this.m()).unpause(this.id);
  }

  async update(_opts: UpdateOptions): Promise<ContainerUpdateResponse> {
    throw later('container update');
  }

  async getArchive(): Promise<Readable> {
    throw later('copying files out of a container');
  }

  async putArchive(): Promise<void> {
    throw later('copying files into a container');
  }

  async infoArchive(): Promise<PathStat> {
    throw later('container archive stat');
  }

  async export(): Promise<Readable> {
    throw later('container export');
  }

  async commit(_opts?: CommitOptions): Promise<{ Id: string }> {
    throw later('container commit');
  }
}

class BerthImage implements ImageHandle {
  constructor(
    private readonly berth: Berth,
    readonly name: string,
  ) {}

  async inspect(): Promise<ImageInspect> {
    return (await this.berth.imageOps()).inspect(this.name);
  }

  async history(): Promise<ImageHistoryEntry[]> {
    return (await this.berth.imageOps()).history(this.name);
  }

  async remove(opts: { force?: boolean } = {}): Promise<ImageDeleteResponseItem[]> {
    if (this.berth.readOnly) throw forbidden('cannot remove an image: this Berth instance is read-only');
    return (await this.berth.imageOps()).remove(this.name, opts);
  }

  async tag(opts: { repo: string; tag?: string }): Promise<void> {
    if (this.berth.readOnly) throw forbidden('cannot tag an image: this Berth instance is read-only');
    return (await this.berth.imageOps()).tag(this.name, opts.repo, opts.tag);
  }

  async push(): Promise<Readable> {
    throw later('pushing to a registry');
  }

  async get(): Promise<Readable> {
    throw later('docker save');
  }
}
