// Image formats: Docker schema2 (what Docker's own fixtures and registries use) and OCI equivalents.
import type { Descriptor } from '../content/types.js';

export type { Descriptor };

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerForeign: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export interface Manifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface Index {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

// One definition of Docker's container.Config and HealthConfig, shared with the Engine API types.
export type { ContainerConfig, HealthConfig } from '../engine/types.js';
import type { ContainerConfig, HealthConfig } from '../engine/types.js';

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The image config blob (Docker's image.Image JSON); its digest is the image ID. */
export interface ImageConfig {
  architecture: string;
  author?: string;
  comment?: string;
  config: ContainerConfig;
  container?: string;
  container_config?: ContainerConfig;
  created: string;
  docker_version?: string;
  history?: HistoryEntry[];
  os: string;
  os_version?: string;
  variant?: string;
  parent?: string;
  rootfs: { type: 'layers'; diff_ids: string[] };
}

/** Fills Docker's zero values in Docker's field order. */
export function normalizeContainerConfig(c: Partial<ContainerConfig> = {}): ContainerConfig {
  const out: ContainerConfig = {
    Hostname: c.Hostname ?? '',
    Domainname: c.Domainname ?? '',
    User: c.User ?? '',
    AttachStdin: c.AttachStdin ?? false,
    AttachStdout: c.AttachStdout ?? false,
    AttachStderr: c.AttachStderr ?? false,
  } as ContainerConfig;
  if (c.ExposedPorts && Object.keys(c.ExposedPorts).length) out.ExposedPorts = c.ExposedPorts;
  out.Tty = c.Tty ?? false;
  out.OpenStdin = c.OpenStdin ?? false;
  out.StdinOnce = c.StdinOnce ?? false;
  out.Env = c.Env ?? null;
  out.Cmd = c.Cmd ?? null;
  if (c.Healthcheck) out.Healthcheck = c.Healthcheck;
  if (c.ArgsEscaped) out.ArgsEscaped = c.ArgsEscaped;
  out.Image = c.Image ?? '';
  out.Volumes = c.Volumes ?? null;
  out.WorkingDir = c.WorkingDir ?? '';
  out.Entrypoint = c.Entrypoint ?? null;
  if (c.NetworkDisabled) out.NetworkDisabled = c.NetworkDisabled;
  if (c.MacAddress) out.MacAddress = c.MacAddress;
  out.OnBuild = c.OnBuild ?? null;
  out.Labels = c.Labels ?? null;
  if (c.StopSignal) out.StopSignal = c.StopSignal;
  if (c.StopTimeout !== undefined) out.StopTimeout = c.StopTimeout;
  if (c.Shell) out.Shell = c.Shell;
  return out;
}

/** The image config in Docker's key order (the order Go marshals image.Image in). */
export function normalizeImageConfig(c: ImageConfig): ImageConfig {
  const out = { architecture: c.architecture } as ImageConfig;
  if (c.author) out.author = c.author;
  if (c.comment) out.comment = c.comment;
  out.config = normalizeContainerConfig(c.config);
  if (c.container) out.container = c.container;
  if (c.container_config) out.container_config = normalizeContainerConfig(c.container_config);
  out.created = c.created;
  if (c.docker_version) out.docker_version = c.docker_version;
  if (c.history) out.history = c.history.map(normalizeHistory);
  out.os = c.os;
  if (c.os_version) out.os_version = c.os_version;
  if (c.parent) out.parent = c.parent;
  out.rootfs = { type: 'layers', diff_ids: [...c.rootfs.diff_ids] };
  if (c.variant) out.variant = c.variant;
  return out;
}

/**
 * Entries normalizeHistory made. Step n of a build shares its parent's n-1 entries (issue #16): they are
 * kept as they are rather than copied, so a step costs one new entry, not n. Callers do not mutate them.
 */
const normalHistory = new WeakSet<HistoryEntry>();

function normalizeHistory(h: HistoryEntry): HistoryEntry {
  if (normalHistory.has(h)) return h;
  const out: HistoryEntry = {};
  if (h.created) out.created = h.created;
  if (h.author) out.author = h.author;
  if (h.created_by) out.created_by = h.created_by;
  if (h.comment) out.comment = h.comment;
  if (h.empty_layer) out.empty_layer = true;
  normalHistory.add(out);
  return out;
}

/** Go's GOARCH for the host, which Docker writes as "architecture". */
export function hostArchitecture(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[process.arch] ?? process.arch;
}
