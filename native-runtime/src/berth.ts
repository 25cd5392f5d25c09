// Berth: the embedded engine, dockerode-shaped (engine/engine.ts). Construction is cheap; the first
// call takes the root's lock, recovers containers and, on an empty root, builds busybox:latest.
import * as fs from 'node:fs';
import path from 'node:path';
import { Readable, type Duplex } from 'node:stream';
import { createCgroupDriver } from './cgroups/detect.js';
import type { CgroupDriver } from './cgroups/types.js';
import { Builder, type BuildCachePruneReport } from './builder/executor/index.js';
import { Analyzer } from './analysis/analyzer.js';
import { commitContainer } from './commit/index.js';
import { ContainerManager } from './containers/manager.js';
import { ContainerServices } from './facade/container-services.js';
import { ContainerStore } from './containers/store.js';
import type { ContainerRecord } from './containers/record.js';
import { NetworkService, type BridgeOptions } from './networks/index.js';
import { VolumeService } from './volumes/index.js';
import { flushDeferredSyncs } from './util/atomic.js';
import { flushTrash } from './util/trash.js';
import type {
  AttachOptions,
  AuthConfig,
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
  ExecInspect,
  ExecStartOptions,
  ImageDeleteResponseItem,
  ImageHistoryEntry,
  ImageInspect,
  ImageSummary,
  Info,
  NetworkCreateOptions,
  NetworkInspect,
  PathStat,
  PruneResponse,
  SystemDf,
  Version,
  Volume,
  VolumeCreateOptions,
  VolumeListResponse,
} from './engine/types.js';
import { EngineError, forbidden, internal, notImplemented } from './errors.js';
import { EventBus } from './events/bus.js';
import { ImageOps, mapErrors } from './facade/images.js';
import { ShipOps, type PullArgs, type PushArgs } from './facade/ship.js';
import { RegistryPolicy, type RegistryPolicyOptions } from './registry/allow-list.js';
import { login } from './registry/login.js';
import { distributionInspect, imageCreated, type DistributionInspect } from './updates/distribution.js';
import { openImageStores, type ImageStores } from './images/open.js';
import type { DriverName } from './snapshots/types.js';
import { cleanCrashLeftovers } from './recovery/leftovers.js';
import { lockFile, NativeCallError, shimPath, unlockFile } from './native/index.js';
import { ensureStarterImage } from './starter/busybox.js';
import { buildInfo, buildVersion } from './system-info.js';
import { randomHex } from './util/ids.js';
import { parseEngineMode, UsernsService, type UsernsMode } from './userns/index.js';
import { parseIdmapSetting, type IdmapSetting } from './userns/idmap-probe.js';

export interface BerthOptions {
  root?: string;
  /** The storage driver (default: BERTH_STORAGE_DRIVER, else the best for the root's filesystem; docs/storage.md). */
  storageDriver?: DriverName;
  run?: string;
  cgroupParent?: string;
  readOnly?: boolean;
  /** Which registries may be contacted (plus BERTH_REGISTRY_ALLOW, BERTH_INSECURE_REGISTRIES, BERTH_REGISTRY_MIRRORS; BERTH_OFFLINE=1 = loopback only). */
  registries?: Pick<RegistryPolicyOptions, 'allow' | 'insecure' | 'mirrors'>;
  /** Docker's "bridge" network: the Linux bridge's name and subnet (docs/runtime.md, "Networks"). */
  bridge?: BridgeOptions;
  /** Default route + NAT for bridged containers. OFF by default; read the warning in docs/runtime.md. */
  outbound?: boolean;
  /** Default user namespace mode (issue #19): host (default), remap or auto; BERTH_USERNS otherwise. */
  userns?: UsernsMode;
  /** "off": never idmap, always use chowned layer copies (the fallback); BERTH_USERNS_IDMAP otherwise. */
  usernsIdmap?: IdmapSetting;
}

interface Core {
  stores: ImageStores;
  cgroups: CgroupDriver;
  events: EventBus;
  containers: ContainerManager;
  images: ImageOps;
  ship: ShipOps;
  /** exec, attach, stats, top, changes, archive, update, prune, health. */
  services: ContainerServices;
  volumes: VolumeService;
  networks: NetworkService<ContainerRecord>;
  engineId: string;
}

const later = (what: string): EngineError => notImplemented(`${what} is not implemented in Berth yet; it comes with a later issue`);

export class Berth implements Engine {
  readonly root: string;
  readonly run: string;
  readonly cgroupParent: string;
  readonly readOnly: boolean;
  /** Governs every registry contact of this engine: pull, push, and any implicit pull. */
  readonly registryPolicy: RegistryPolicy;
  private core: Promise<Core> | undefined;
  private readonly netOpts: { bridge?: BridgeOptions; outbound: boolean };
  private readonly storageDriver: DriverName | undefined;
  /** User namespaces: the default mode and the ranges (src/userns). */
  readonly userns: UsernsService;
  private lockFd: number | undefined;
  private closed = false;
  private builderInstance: Builder | undefined;
  private analyzerInstance: Analyzer | undefined;

  constructor(opts: BerthOptions = {}) {
    this.root = path.resolve(opts.root ?? process.env['BERTH_ROOT'] ?? '/var/lib/berth');
    this.storageDriver = opts.storageDriver;
    this.run = path.resolve(opts.run ?? process.env['BERTH_RUN'] ?? '/run/berth');
    this.cgroupParent = opts.cgroupParent ?? 'berth';
    this.readOnly = opts.readOnly ?? false;
    this.registryPolicy = RegistryPolicy.fromEnv(opts.registries ?? {});
    this.netOpts = { bridge: opts.bridge, outbound: opts.outbound ?? false };
    this.userns = new UsernsService(this.root, opts.userns ?? parseEngineMode(process.env['BERTH_USERNS']), opts.usernsIdmap ?? parseIdmapSetting(process.env['BERTH_USERNS_IDMAP']));
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
      const stores = await openImageStores(this.root, { recover: !this.readOnly, ...(this.storageDriver ? { driver: this.storageDriver } : {}) });
      const cgroups = createCgroupDriver({ parent: this.cgroupParent });
      const events = new EventBus({ logPath: path.join(this.root, 'events.log'), readOnly: this.readOnly });
      const store = new ContainerStore(path.join(this.root, 'containers'));
      await store.load();
      if (!this.readOnly) store.sweepTrash();
      const volumes = new VolumeService(this.root, events, () => store.all().map((r) => ({ id: r.cfg.id, mounts: r.cfg.mounts })));
      await volumes.load();
      const networks = new NetworkService({
        root: this.root,
        events,
        bridge: this.netOpts.bridge,
        outbound: this.netOpts.outbound,
        readOnly: this.readOnly,
        containers: () => store.all(),
        findContainer: (idOrName) => store.find(idOrName),
        saveConfig: (rec) => store.saveConfig(rec),
        containerDir: (id) => store.dir(id),
      });
      await networks.load();
      const userns = this.userns;
      // Ranges already held are loaded before any create; the berth user is made on first need.
      if (userns.mode !== 'host' || store.all().some((r) => r.cfg.userns)) {
        await userns.load();
        // A crash between a container's rm and its release leaves a range held by nobody.
        if (!this.readOnly) await userns.prune(new Set(store.all().map((r) => r.cfg.id)));
      }
      // A crash can leave fallback layer copies unused, or half made (never used: not renamed in).
      if (!this.readOnly && fs.existsSync(userns.copies.dir)) await userns.collectCopies(store.all().map((r) => r.cfg.usernsLowers));
      const containers = new ContainerManager({ store, stores, cgroups, events, run: this.run, readOnly: this.readOnly, volumes, networks: networks.endpoints, userns });
      const services = new ContainerServices({ containers, cgroups, stores, events, run: this.run, readOnly: this.readOnly });
      if (!this.readOnly) {
        await containers.recover();
        await networks.recover();
        await cleanCrashLeftovers({ root: this.root, stores, containers });
        await containers.startWithEngine();
        const built = await ensureStarterImage(stores);
        if (built) events.emit('image', 'tag', built.id, { name: built.tag });
      }
      const images = new ImageOps(stores, events, () => containers.all().map((r) => ({ id: r.cfg.id, imageId: r.cfg.imageId })));
      const ship = new ShipOps({
        stores,
        events,
        policy: this.registryPolicy,
        containers: { all: () => containers.all(), resolve: async (idOrName) => (await containers.inspect(idOrName)).Id },
        tmpDir: ShipOps.tmpDirFor(this.root),
      });
      return { stores, cgroups, events, containers, images, ship, services, volumes, networks, engineId: this.engineId() };
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

  /** Stops watchers, deletes idle bridges and releases the lock. Containers keep running. */
  async close(): Promise<void> {
    const core = this.core;
    this.closed = true;
    if (core) {
      const c = await core.catch(() => undefined);
      c?.services.close();
      c?.containers.close();
      // Idle bridges stay up while the engine runs (as docker0); they go now.
      await c?.networks.close().catch(() => {});
      c?.events.close();
    }
    await Promise.all([flushDeferredSyncs(), flushTrash()]);
    this.analyzerInstance?.close();
    this.releaseLock();
  }

  /**
   * The one read-only check: every write through the Engine interface passes here (the layers below
   * do not check again). @internal for the handles below.
   */
  mutable(what: string): void {
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

  async pruneContainers(opts: { filters?: FiltersArg } = {}): Promise<PruneResponse> {
    this.mutable('prune containers');
    return (await this.ready()).services.pruneContainers(opts.filters);
  }

  /** @internal exec, attach, stats… after ready(). */
  async services(): Promise<ContainerServices> {
    return (await this.ready()).services;
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

  /** `docker load` (docker-archive or OCI layout tar): progress JSON lines; errors arrive in the stream. */
  async loadImage(tar: Readable | string, opts: { quiet?: boolean } = {}): Promise<Readable> {
    this.mutable('load an image');
    return (await this.ready()).ship.load(tar, opts);
  }

  /** `docker save` of several images into one tar (dockerode's docker.getImages({names})). */
  async getImages(opts: { names: string[] }): Promise<Readable> {
    return (await this.ready()).ship.save(opts.names ?? []);
  }

  /** @internal the Ship operations (pull/push/save/load/export/prune/df), after ready(). */
  async shipOps(): Promise<ShipOps> {
    return (await this.ready()).ship;
  }

  /** Docker's classic builder: progress as JSON lines; user errors are an errorDetail line. Bad options reject with 400. */
  async buildImage(context: Readable | string, opts: BuildOptions = {}): Promise<Readable> {
    this.mutable('build an image');
    const b = await this.builder();
    const src = typeof context === 'string' ? fs.createReadStream(context) : context;
    return b.build(src, opts);
  }

  /** The same build as structured records (object mode); destroying the stream cancels it. */
  async buildImageRecords(context: Readable | string, opts: BuildOptions = {}): Promise<Readable> {
    this.mutable('build an image');
    const b = await this.builder();
    const src = typeof context === 'string' ? fs.createReadStream(context) : context;
    return b.records(src, opts);
  }

  /** `docker builder prune`: intermediate build images and snapshots no tagged image or container uses. */
  async pruneBuilder(): Promise<BuildCachePruneReport> {
    this.mutable('prune the build cache');
    return (await this.builder()).prune();
  }

  /** The layer inspector (src/analysis, docs/layers.md): analysis, trees, file contents and diffs, compare, live diffs. */
  async analyzer(): Promise<Analyzer> {
    const c = await this.ready();
    this.analyzerInstance ??= new Analyzer({ root: this.root, stores: c.stores, container: (idOrName) => c.containers.get(idOrName) });
    return this.analyzerInstance;
  }

  /** @internal */
  async builder(): Promise<Builder> {
    const c = await this.ready();
    this.builderInstance ??= new Builder({ root: this.root, stores: c.stores, containers: c.containers, events: c.events, policy: () => this.registryPolicy });
    return this.builderInstance;
  }

  /** Rejects with 403 (registry not allowed), 404 (manifest unknown), 401, 400 before streaming; later errors are stream lines. */
  async pull(ref: string, opts: PullArgs = {}): Promise<Readable> {
    this.mutable('pull an image');
    return (await this.ready()).ship.pull(ref, opts);
  }

  /** `docker login`: the registry's answer to the credentials; nothing is stored. */
  async checkAuth(authconfig: AuthConfig): Promise<{ IdentityToken: string; Status: string }> {
    return login(authconfig, (await this.ready()).ship.policy);
  }

  async pruneImages(opts: { filters?: FiltersArg } = {}): Promise<PruneResponse> {
    this.mutable('prune images');
    return (await this.ready()).ship.pruneImages(opts);
  }

  // ─────────────────────────── volumes / networks / exec ───────────────────────────

  async createVolume(opts: VolumeCreateOptions = {}): Promise<Volume> {
    this.mutable('create a volume');
    return (await this.ready()).volumes.create(opts);
  }

  async listVolumes(opts: { filters?: FiltersArg } = {}): Promise<VolumeListResponse> {
    const c = await this.ready();
    if (this.readOnly) await c.volumes.load();
    return c.volumes.list(opts);
  }

  getVolume(name: string): VolumeHandle {
    return {
      name,
      inspect: async (opts: { usage?: boolean } = {}) => (await this.ready()).volumes.inspect(name, opts),
      remove: async (opts: { force?: boolean } = {}) => {
        this.mutable('remove a volume');
        return (await this.ready()).volumes.remove(name, opts);
      },
    };
  }

  async pruneVolumes(opts: { filters?: FiltersArg } = {}): Promise<PruneResponse> {
    this.mutable('prune volumes');
    return (await this.ready()).volumes.prune(opts);
  }

  async createNetwork(opts: NetworkCreateOptions): Promise<NetworkHandle> {
    this.mutable('create a network');
    const { Id } = await (await this.ready()).networks.create(opts);
    return this.getNetwork(Id);
  }

  async listNetworks(opts: { filters?: FiltersArg } = {}): Promise<NetworkInspect[]> {
    return (await this.ready()).networks.list(opts);
  }

  getNetwork(id: string): NetworkHandle {
    const n = async (): Promise<NetworkService<ContainerRecord>> => (await this.ready()).networks;
    return {
      id,
      inspect: async () => (await n()).inspect(id),
      remove: async () => {
        this.mutable('remove a network');
        return (await n()).remove(id);
      },
      connect: async (opts) => {
        this.mutable('connect a container');
        return (await n()).connect(id, opts);
      },
      disconnect: async (opts) => {
        this.mutable('disconnect a container');
        return (await n()).disconnect(id, opts);
      },
    };
  }

  async pruneNetworks(opts: { filters?: FiltersArg } = {}): Promise<PruneResponse> {
    this.mutable('prune networks');
    return (await this.ready()).networks.prune(opts);
  }

  getExec(id: string): ExecHandle {
    return new BerthExec(this, id);
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
      userns: this.userns.mode,
      // dockerd calls the overlay driver overlay2.
      storage: {
        driver: c.stores.snapshots.driver === 'overlay' ? 'overlay2' : c.stores.snapshots.driver,
        status: [...(await c.stores.snapshots.status()), ...(await this.userns.idmapStatus(c.stores.snapshots.root))],
      },
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
    // HOOK (volumes): pass the volumes module's list with UsageData as the second argument once it is wired in.
    const df = await c.ship.df(containers, []);
    // The user namespace fallback's layer copies are image layers too (dockerd counts its remapped ones).
    return { ...df, LayersSize: df.LayersSize + (await this.userns.copies.usage()) };
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
    this.berth.mutable('start a container');
    return (await this.m()).start(this.id);
  }

  async stop(opts: { t?: number; signal?: string } = {}): Promise<void> {
    this.berth.mutable('stop a container');
    return (await this.m()).stop(this.id, opts);
  }

  async kill(opts: { signal?: string | number } = {}): Promise<void> {
    this.berth.mutable('kill a container');
    return (await this.m()).kill(this.id, opts);
  }

  async restart(opts: { t?: number } = {}): Promise<void> {
    this.berth.mutable('restart a container');
    return (await this.m()).restart(this.id, opts);
  }

  async remove(opts: { force?: boolean; v?: boolean } = {}): Promise<void> {
    this.berth.mutable('remove a container');
    return (await this.m()).remove(this.id, opts);
  }

  async wait(opts: { condition?: 'not-running' | 'next-exit' | 'removed' } = {}): Promise<ContainerWaitResponse> {
    return (await this.m()).wait(this.id, opts.condition);
  }

  async rename(opts: { name: string }): Promise<void> {
    this.berth.mutable('rename a container');
    return (await this.m()).rename(this.id, opts.name);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async logs(opts: LogsOptions & { follow?: boolean } = {}): Promise<any> {
    return (await this.m()).logs(this.id, opts);
  }

  private async s(): Promise<ContainerServices> {
    return this.berth.services();
  }

  /** stream (default true): newline-delimited JSON, one object a second; false: one object at once. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async stats(opts: StatsOptions = {}): Promise<any> {
    const s = await this.s();
    if (opts.stream === false || opts['one-shot']) return s.statsOnce(this.id, !!opts['one-shot']);
    return s.statsStream(this.id);
  }

  async top(opts: { ps_args?: string } = {}): Promise<ContainerTop> {
    return (await this.s()).top(this.id, opts.ps_args);
  }

  async changes(): Promise<ContainerChange[] | null> {
    return (await this.s()).changes(this.id);
  }

  async exec(opts: ExecCreateOptions): Promise<ExecHandle> {
    this.berth.mutable('exec');
    const id = await (await this.s()).execCreate(this.id, opts);
    return new BerthExec(this.berth, id);
  }

  async attach(opts: AttachOptions): Promise<Duplex> {
    return (await this.s()).attach(this.id, opts);
  }

  async resize(opts: { h: number; w: number }): Promise<void> {
    return (await this.s()).resize(this.id, Number(opts.h), Number(opts.w));
  }

  async pause(): Promise<void> {
    this.berth.mutable('pause a container');
    return (await this.m()).pause(this.id);
  }

  async unpause(): Promise<void> {
    this.berth.mutable('unpause a container');
    return (await this.m()).unpause(this.id);
  }

  async update(opts: UpdateOptions): Promise<ContainerUpdateResponse> {
    this.berth.mutable('update a container');
    return (await this.s()).update(this.id, opts);
  }

  /** The tar stream; its `pathStat` property holds what X-Docker-Container-Path-Stat carries. */
  async getArchive(opts: { path: string }): Promise<Readable & { pathStat: PathStat }> {
    const { stream, stat } = await (await this.s()).getArchive(this.id, opts.path);
    return Object.assign(stream, { pathStat: stat });
  }

  async putArchive(tar: Readable | Buffer | string, opts: { path: string; noOverwriteDirNonDir?: boolean }): Promise<void> {
    this.berth.mutable('copy into a container');
    const src = typeof tar === 'string' ? fs.createReadStream(tar) : Buffer.isBuffer(tar) ? Readable.from([tar]) : tar;
    return (await this.s()).putArchive(this.id, src, opts.path, { noOverwriteDirNonDir: !!opts.noOverwriteDirNonDir });
  }

  async infoArchive(opts: { path: string }): Promise<PathStat> {
    return (await this.s()).infoArchive(this.id, opts.path);
  }

  async export(): Promise<Readable> {
    return (await this.berth.shipOps()).exportContainer(this.id);
  }

  async commit(opts: CommitOptions = {}): Promise<{ Id: string }> {
    this.berth.mutable('commit a container');
    const c = await this.berth.ready();
    return mapErrors(() => commitContainer({ stores: c.stores, containers: c.containers, events: c.events }, this.id, opts));
  }
}

class BerthExec implements ExecHandle {
  constructor(
    private readonly berth: Berth,
    readonly id: string,
  ) {}

  /** Detach: resolves once started (the stream is already ended); otherwise the hijacked stream. */
  async start(opts: ExecStartOptions = {}): Promise<Duplex> {
    return (await this.berth.services()).exec.start(this.id, opts);
  }

  async resize(opts: { h: number; w: number }): Promise<void> {
    return (await this.berth.services()).exec.resize(this.id, Number(opts.h), Number(opts.w));
  }

  async inspect(): Promise<ExecInspect> {
    return (await this.berth.services()).exec.inspect(this.id);
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

  async remove(opts: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteResponseItem[]> {
    this.berth.mutable('remove an image');
    return (await this.berth.imageOps()).remove(this.name, opts);
  }

  async tag(opts: { repo: string; tag?: string }): Promise<void> {
    this.berth.mutable('tag an image');
    return (await this.berth.imageOps()).tag(this.name, opts.repo, opts.tag);
  }

  async push(opts: PushArgs = {}): Promise<Readable> {
    this.berth.mutable('push an image'); // a push records the repo digest
    return (await this.berth.shipOps()).push(this.name, opts);
  }

  async get(): Promise<Readable> {
    return (await this.berth.shipOps()).save([this.name]);
  }

  async distribution(opts: { authconfig?: AuthConfig } = {}): Promise<DistributionInspect> {
    return distributionInspect(this.name, { authconfig: opts.authconfig, policy: this.berth.registryPolicy });
  }

  async created(digest: string, opts: { authconfig?: AuthConfig } = {}): Promise<string | null> {
    return imageCreated(this.name, digest, { authconfig: opts.authconfig, policy: this.berth.registryPolicy });
  }
}
