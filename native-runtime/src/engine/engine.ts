// The Engine interface: dockerode's shape (promise form), so the dashboard drives Berth's embedded
// engine or `new Docker()` against a real dockerd with the same code. Options and results use the
// Engine API's names (types.ts). Berth answers methods it does not have yet with EngineError 501, so
// nothing here is optional unless dockerode itself lacks it.
import type { Duplex, Readable } from 'node:stream';
import type { BuildRecord } from '../builder/executor/records.js';
import type { DistributionInspect } from '../updates/distribution.js';

export type { DistributionInspect } from '../updates/distribution.js';

export type { BuildRecord, BuildRecordType, SourceLocation } from '../builder/executor/records.js';
import type {
  ContainerChange,
  ContainerCreateBody,
  ContainerInspect,
  ContainerStats,
  ContainerSummary,
  ContainerTop,
  ContainerUpdateResponse,
  ContainerWaitResponse,
  EngineEvent,
  ExecCreateOptions,
  ExecInspect,
  ExecStartOptions,
  Filters,
  HostConfig,
  ImageDeleteResponseItem,
  ImageHistoryEntry,
  ImageInspect,
  ImageSummary,
  Info,
  NetworkCreateOptions,
  NetworkInspect,
  PruneResponse,
  SystemDf,
  Version,
  Volume,
  VolumeCreateOptions,
  VolumeListResponse,
} from './types.js';

export type { EngineEvent };

/** filters may be given as an object or as its JSON text, as dockerode accepts both. */
export type FiltersArg = Filters | string;

export interface ListContainersOptions {
  all?: boolean;
  limit?: number;
  size?: boolean;
  filters?: FiltersArg;
}

export interface LogsOptions {
  stdout?: boolean;
  stderr?: boolean;
  /** Unix seconds (int or float) or an RFC3339 string. */
  since?: number | string;
  until?: number | string;
  timestamps?: boolean;
  /** Lines from the end; "all" or undefined = all. */
  tail?: number | 'all';
  details?: boolean;
}

export interface AttachOptions {
  stream?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  logs?: boolean;
  detachKeys?: string;
  hijack?: boolean;
}

export interface StatsOptions {
  stream?: boolean;
  'one-shot'?: boolean;
}

export interface CommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  pause?: boolean;
  changes?: string | string[];
  /** The container config to merge into the image config. */
  config?: Partial<import('./types.js').ContainerConfig>;
}

/** Resource fields `docker update` may change (plus RestartPolicy). */
export type UpdateOptions = Partial<
  Pick<
    HostConfig,
    | 'CpuShares'
    | 'Memory'
    | 'MemorySwap'
    | 'MemoryReservation'
    | 'NanoCpus'
    | 'CpuPeriod'
    | 'CpuQuota'
    | 'CpusetCpus'
    | 'CpusetMems'
    | 'PidsLimit'
    | 'BlkioWeight'
    | 'BlkioDeviceReadBps'
    | 'BlkioDeviceWriteBps'
    | 'BlkioDeviceReadIOps'
    | 'BlkioDeviceWriteIOps'
    | 'RestartPolicy'
  >
>;

export interface ContainerHandle {
  readonly id: string;
  inspect(opts?: { size?: boolean }): Promise<ContainerInspect>;
  start(opts?: { detachKeys?: string }): Promise<void>;
  /** t: seconds before SIGKILL (default: the container's StopTimeout, else 10). */
  stop(opts?: { t?: number; signal?: string }): Promise<void>;
  kill(opts?: { signal?: string | number }): Promise<void>;
  restart(opts?: { t?: number }): Promise<void>;
  remove(opts?: { force?: boolean; v?: boolean; link?: boolean }): Promise<void>;
  wait(opts?: { condition?: 'not-running' | 'next-exit' | 'removed' }): Promise<ContainerWaitResponse>;
  rename(opts: { name: string }): Promise<void>;
  /** follow false → the whole answer; true → a stream. Framed (8-byte mux) unless the container has a TTY. */
  logs(opts?: LogsOptions & { follow?: false }): Promise<Buffer>;
  logs(opts: LogsOptions & { follow: true }): Promise<Readable>;
  logs(opts?: LogsOptions & { follow?: boolean }): Promise<Buffer | Readable>;
  /** stream false (or one-shot) → one object; true → newline-delimited JSON objects. */
  stats(opts?: StatsOptions & { stream?: true }): Promise<Readable>;
  stats(opts: StatsOptions & { stream: false }): Promise<ContainerStats>;
  stats(opts?: StatsOptions): Promise<ContainerStats | Readable>;
  top(opts?: { ps_args?: string }): Promise<ContainerTop>;
  changes(): Promise<ContainerChange[] | null>;
  exec(opts: ExecCreateOptions): Promise<ExecHandle>;
  /** Hijacked stream: stdin in, stdout/stderr out (mux-framed unless TTY). */
  attach(opts: AttachOptions): Promise<Duplex>;
  resize(opts: { h: number; w: number }): Promise<void>;
  pause(): Promise<void>;
  unpause(): Promise<void>;
  update(opts: UpdateOptions): Promise<ContainerUpdateResponse>;
  /** A tar stream of the path. */
  getArchive(opts: { path: string }): Promise<Readable>;
  putArchive(tar: Readable | Buffer | string, opts: { path: string; noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean }): Promise<void>;
  /** dockerode resolves with the raw response; the stat is in its X-Docker-Container-Path-Stat header. */
  infoArchive(opts: { path: string }): Promise<import('./types.js').PathStat>;
  /** Tar of the whole filesystem. */
  export(): Promise<Readable>;
  commit(opts?: CommitOptions): Promise<{ Id: string }>;
}

export interface ExecHandle {
  readonly id: string;
  /** Detach: resolves when started; otherwise the hijacked (or mux-framed) stream. */
  start(opts?: ExecStartOptions): Promise<Duplex>;
  resize(opts: { h: number; w: number }): Promise<void>;
  inspect(): Promise<ExecInspect>;
}

export interface ImageHandle {
  readonly name: string;
  inspect(): Promise<ImageInspect>;
  history(): Promise<ImageHistoryEntry[]>;
  remove(opts?: { force?: boolean; noprune?: boolean }): Promise<ImageDeleteResponseItem[]>;
  tag(opts: { repo: string; tag?: string }): Promise<void>;
  /** Progress as JSON lines, like pull. */
  push(opts?: { tag?: string; authconfig?: AuthConfig }): Promise<Readable>;
  /** `docker save` tar of this image. */
  get(): Promise<Readable>;
  /** GET /distribution/{name}/json: the registry's current descriptor for this reference (no download). */
  distribution(opts?: { authconfig?: AuthConfig }): Promise<DistributionInspect>;
  /** Berth only (absent on a remote Docker): when the registry's image `digest` of this reference was built. */
  created?(digest: string, opts?: { authconfig?: AuthConfig }): Promise<string | null>;
}

export interface VolumeHandle {
  readonly name: string;
  inspect(): Promise<Volume>;
  remove(opts?: { force?: boolean }): Promise<void>;
}

export interface NetworkHandle {
  readonly id: string;
  inspect(): Promise<NetworkInspect>;
  remove(): Promise<void>;
  connect(opts: { Container: string; EndpointConfig?: Record<string, unknown> }): Promise<void>;
  disconnect(opts: { Container: string; Force?: boolean }): Promise<void>;
}

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serveraddress?: string;
  identitytoken?: string;
}

export interface BuildOptions {
  t?: string | string[];
  dockerfile?: string;
  buildargs?: Record<string, string>;
  nocache?: boolean;
  pull?: boolean;
  rm?: boolean;
  forcerm?: boolean;
  labels?: Labels;
  target?: string;
  q?: boolean;
  networkmode?: string;
  platform?: string;
}
type Labels = Record<string, string>;

/** A build's progress as records, in order; the last is `built`/`tagged` or `error`. */
export interface BuildRecordStream extends AsyncIterable<BuildRecord> {
  destroy(error?: Error): unknown;
}

export interface Engine {
  // containers
  listContainers(opts?: ListContainersOptions): Promise<ContainerSummary[]>;
  createContainer(body: ContainerCreateBody): Promise<ContainerHandle>;
  /** Never throws: a missing container fails on first use with 404, as in dockerode. */
  getContainer(idOrName: string): ContainerHandle;
  pruneContainers(opts?: { filters?: FiltersArg }): Promise<PruneResponse>;

  // images
  listImages(opts?: { all?: boolean; filters?: FiltersArg; digests?: boolean }): Promise<ImageSummary[]>;
  getImage(ref: string): ImageHandle;
  /** `docker import`: a rootfs tar (stream or URL) becomes an image; progress as JSON lines. */
  importImage(tar: Readable | string, opts?: { repo?: string; tag?: string; changes?: string[]; message?: string }): Promise<Readable>;
  /** `docker load`: a `docker save`/OCI tar; progress as JSON lines. */
  loadImage(tar: Readable | string, opts?: { quiet?: boolean }): Promise<Readable>;
  /** Build context tar in; JSON lines out ({stream}, {aux:{ID}}, {errorDetail}). */
  buildImage(context: Readable | string, opts?: BuildOptions): Promise<Readable>;
  /** The same build as structured records (the dashboard's view, no text to parse); destroy() cancels it. */
  buildImageRecords(context: Readable | string, opts?: BuildOptions): Promise<BuildRecordStream>;
  /** JSON-lines progress, as dockerode's pull. */
  pull(ref: string, opts?: { authconfig?: AuthConfig; platform?: string }): Promise<Readable>;
  /** POST /auth (dockerode's checkAuth): checks a registry login; 401 when the registry refuses it. */
  checkAuth(authconfig: AuthConfig): Promise<{ IdentityToken?: string; Status: string }>;
  pruneImages(opts?: { filters?: FiltersArg }): Promise<PruneResponse>;

  // volumes
  createVolume(opts?: VolumeCreateOptions): Promise<Volume>;
  listVolumes(opts?: { filters?: FiltersArg }): Promise<VolumeListResponse>;
  getVolume(name: string): VolumeHandle;
  pruneVolumes(opts?: { filters?: FiltersArg }): Promise<PruneResponse>;

  // networks
  createNetwork(opts: NetworkCreateOptions): Promise<NetworkHandle>;
  listNetworks(opts?: { filters?: FiltersArg }): Promise<NetworkInspect[]>;
  getNetwork(id: string): NetworkHandle;
  pruneNetworks(opts?: { filters?: FiltersArg }): Promise<PruneResponse>;

  // exec lookup (dockerode: docker.getExec)
  getExec(id: string): ExecHandle;

  // system
  /** Newline-delimited JSON EngineEvent objects; ends at `until` if given. */
  getEvents(opts?: { since?: number | string; until?: number | string; filters?: FiltersArg }): Promise<Readable>;
  info(): Promise<Info>;
  version(): Promise<Version>;
  /** Resolves with "OK". */
  ping(): Promise<string | Buffer>;
  df(): Promise<SystemDf>;
}
