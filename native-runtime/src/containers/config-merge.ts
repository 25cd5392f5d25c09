// The create body merged with the image's config, as moby's daemon.mergeAndVerifyConfig does; and
// the HostConfig echoed by inspect with every field present.
import { badParameter } from '../errors.js';
import type { ContainerConfig, ContainerCreateBody, HostConfig } from '../engine/types.js';
import type { ContainerConfig as ImageContainerConfig } from '../images/types.js';

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const strList = (v: string[] | string | null | undefined): string[] | null =>
  v === undefined || v === null ? null : typeof v === 'string' ? [v] : v;

/** Replace-or-append by variable name, keeping order (moby's ReplaceOrAppendEnvValues). */
export function mergeEnv(base: string[], overrides: string[]): string[] {
  const out = [...base];
  // Name → first index: a scan per override made a 10,000-variable build cubic (issue #16).
  const at = new Map<string, number>();
  const nameOf = (kv: string): string => {
    const eq = kv.indexOf('=');
    return eq < 0 ? kv : kv.slice(0, eq);
  };
  out.forEach((e, i) => {
    const k = nameOf(e);
    if (!at.has(k)) at.set(k, i);
  });
  for (const kv of overrides) {
    const k = nameOf(kv);
    const i = at.get(k);
    if (i !== undefined) out[i] = kv;
    else at.set(k, out.push(kv) - 1);
  }
  return out;
}

export function mergeConfig(body: ContainerCreateBody, image: ImageContainerConfig | null, imageRef: string, id: string): ContainerConfig {
  const img = image ?? ({} as Partial<ImageContainerConfig>);
  let cmd = strList(body.Cmd as string[] | string | null | undefined);
  let entrypoint = strList(body.Entrypoint as string[] | string | null | undefined);
  if (!entrypoint || entrypoint.length === 0) {
    if (!cmd || cmd.length === 0) cmd = img.Cmd ?? null;
    if (entrypoint === null) entrypoint = img.Entrypoint ?? null;
  }
  const env = mergeEnv(img.Env ?? [], body.Env ?? []);
  const labels = { ...(img.Labels ?? {}), ...(body.Labels ?? {}) };
  const exposed = { ...(img.ExposedPorts ?? {}), ...(body.ExposedPorts ?? {}) };
  const volumes = { ...(img.Volumes ?? {}), ...(body.Volumes ?? {}) };
  const c: ContainerConfig = {
    Hostname: body.Hostname || id.slice(0, 12),
    Domainname: body.Domainname ?? '',
    User: body.User || img.User || '',
    AttachStdin: body.AttachStdin ?? false,
    AttachStdout: body.AttachStdout ?? false,
    AttachStderr: body.AttachStderr ?? false,
  } as ContainerConfig;
  if (Object.keys(exposed).length) c.ExposedPorts = exposed;
  c.Tty = body.Tty ?? false;
  c.OpenStdin = body.OpenStdin ?? false;
  c.StdinOnce = body.StdinOnce ?? false;
  c.Env = env.length ? env : null;
  c.Cmd = cmd && cmd.length ? cmd : null;
  if (body.Healthcheck ?? img.Healthcheck) c.Healthcheck = (body.Healthcheck ?? img.Healthcheck)!;
  c.Image = imageRef;
  c.Volumes = Object.keys(volumes).length ? volumes : null;
  c.WorkingDir = body.WorkingDir || img.WorkingDir || '';
  // `--entrypoint ''` arrives as [""] (or "" from old clients): after the merge it resets the entrypoint,
  // so the command runs on its own (moby's mergeAndVerifyConfig).
  if (entrypoint && entrypoint.length === 1 && entrypoint[0] === '') entrypoint = null;
  c.Entrypoint = entrypoint && entrypoint.length ? entrypoint : null;
  if (body.NetworkDisabled) c.NetworkDisabled = true;
  c.OnBuild = img.OnBuild ?? null;
  c.Labels = labels;
  const stopSignal = body.StopSignal || img.StopSignal;
  if (stopSignal) c.StopSignal = stopSignal;
  if (body.StopTimeout !== undefined && body.StopTimeout !== null) c.StopTimeout = body.StopTimeout;
  if (c.WorkingDir && !c.WorkingDir.startsWith('/')) throw badParameter(`the working directory '${c.WorkingDir}' is invalid, it needs to be an absolute path`);
  if (!c.Entrypoint && !c.Cmd) throw badParameter('No command specified');
  return c;
}

/** HostConfig as inspect shows it: Docker's field order, defaults filled. */
export function fullHostConfig(h: Partial<HostConfig> = {}): HostConfig {
  return {
    Binds: h.Binds ?? null,
    ContainerIDFile: h.ContainerIDFile ?? '',
    LogConfig: { Type: h.LogConfig?.Type || 'json-file', Config: h.LogConfig?.Config ?? {} },
    NetworkMode: h.NetworkMode || 'default',
    PortBindings: h.PortBindings ?? {},
    RestartPolicy: { Name: h.RestartPolicy?.Name || 'no', MaximumRetryCount: h.RestartPolicy?.MaximumRetryCount ?? 0 },
    AutoRemove: h.AutoRemove ?? false,
    VolumeDriver: h.VolumeDriver ?? '',
    VolumesFrom: h.VolumesFrom ?? null,
    CapAdd: h.CapAdd ?? null,
    CapDrop: h.CapDrop ?? null,
    CgroupnsMode: h.CgroupnsMode || 'host',
    Dns: h.Dns ?? [],
    DnsOptions: h.DnsOptions ?? [],
    DnsSearch: h.DnsSearch ?? [],
    ExtraHosts: h.ExtraHosts ?? null,
    GroupAdd: h.GroupAdd ?? null,
    IpcMode: h.IpcMode || 'private',
    Cgroup: h.Cgroup ?? '',
    Links: h.Links ?? null,
    OomScoreAdj: h.OomScoreAdj ?? 0,
    PidMode: h.PidMode ?? '',
    Privileged: h.Privileged ?? false,
    PublishAllPorts: h.PublishAllPorts ?? false,
    ReadonlyRootfs: h.ReadonlyRootfs ?? false,
    SecurityOpt: h.SecurityOpt ?? null,
    ...(h.Tmpfs ? { Tmpfs: h.Tmpfs } : {}),
    UTSMode: h.UTSMode ?? '',
    UsernsMode: h.UsernsMode ?? '',
    ShmSize: h.ShmSize || DEFAULT_SHM_SIZE,
    ...(h.Sysctls ? { Sysctls: h.Sysctls } : {}),
    Runtime: h.Runtime || 'berth',
    ConsoleSize: h.ConsoleSize ?? [0, 0],
    Isolation: h.Isolation ?? '',
    CpuShares: h.CpuShares ?? 0,
    Memory: h.Memory ?? 0,
    NanoCpus: h.NanoCpus ?? 0,
    CgroupParent: h.CgroupParent ?? '',
    BlkioWeight: h.BlkioWeight ?? 0,
    BlkioWeightDevice: h.BlkioWeightDevice ?? [],
    BlkioDeviceReadBps: h.BlkioDeviceReadBps ?? null,
    BlkioDeviceWriteBps: h.BlkioDeviceWriteBps ?? null,
    BlkioDeviceReadIOps: h.BlkioDeviceReadIOps ?? null,
    BlkioDeviceWriteIOps: h.BlkioDeviceWriteIOps ?? null,
    CpuPeriod: h.CpuPeriod ?? 0,
    CpuQuota: h.CpuQuota ?? 0,
    CpuRealtimePeriod: h.CpuRealtimePeriod ?? 0,
    CpuRealtimeRuntime: h.CpuRealtimeRuntime ?? 0,
    CpusetCpus: h.CpusetCpus ?? '',
    CpusetMems: h.CpusetMems ?? '',
    Devices: h.Devices ?? [],
    DeviceCgroupRules: h.DeviceCgroupRules ?? null,
    DeviceRequests: h.DeviceRequests ?? null,
    KernelMemory: h.KernelMemory ?? 0,
    KernelMemoryTCP: h.KernelMemoryTCP ?? 0,
    MemoryReservation: h.MemoryReservation ?? 0,
    MemorySwap: h.MemorySwap ?? 0,
    MemorySwappiness: h.MemorySwappiness ?? null,
    OomKillDisable: h.OomKillDisable ?? false,
    PidsLimit: h.PidsLimit ?? null,
    Ulimits: h.Ulimits ?? null,
    CpuCount: h.CpuCount ?? 0,
    CpuPercent: h.CpuPercent ?? 0,
    IOMaximumIOps: h.IOMaximumIOps ?? 0,
    IOMaximumBandwidth: h.IOMaximumBandwidth ?? 0,
    ...(h.Mounts ? { Mounts: h.Mounts } : {}),
    // As moby's create: the defaults unless given (the CLI's `--security-opt systempaths=unconfined` sends
    // []) or Privileged (nothing masked; null in inspect).
    MaskedPaths: h.MaskedPaths ?? (h.Privileged ? null : MASKED_PATHS),
    ReadonlyPaths: h.ReadonlyPaths ?? (h.Privileged ? null : READONLY_PATHS),
    ...(h.Init !== undefined && h.Init !== null ? { Init: h.Init } : {}),
  };
}

/** Which network namespace the container gets: the host's, or a new one (none, the default bridge,
 *  a user-defined network; src/networks checks that the network exists). */
export function netNamespace(mode: string | undefined): 'new' | 'host' {
  const m = mode ?? '';
  if (m === 'host') return 'host';
  if (m.startsWith('container:')) throw badParameter(`network mode "${m}" is not supported yet`);
  return 'new';
}

/** The network the container is really on, for NetworkSettings.Networks. */
export function effectiveNetwork(mode: string | undefined): 'none' | 'host' {
  return netNamespace(mode) === 'host' ? 'host' : 'none';
}
