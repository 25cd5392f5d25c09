// One service replica as an Engine API create body: Config, HostConfig and the endpoint of its first
// network (the others are connected before start, as the Engine API takes one network at create).
import type { ContainerCreateBody, HealthConfig, MountSpec, PortMap, RestartPolicy } from '../engine/types.js';
import { containerName, L, projectLabels } from './labels.ts';
import type { Project, ServiceConfig } from './model.ts';

export interface ReplicaSpec {
  name: string;
  body: ContainerCreateBody;
  /** Networks to connect after create, with their endpoint config. */
  extraNetworks: { network: string; aliases: string[]; ipv4Address?: string }[];
}

function healthConfig(h: ServiceConfig['healthcheck']): HealthConfig | undefined {
  if (!h) return undefined;
  const out: HealthConfig = {};
  if (h.test) out.Test = h.test;
  if (h.interval !== undefined) out.Interval = h.interval;
  if (h.timeout !== undefined) out.Timeout = h.timeout;
  if (h.retries !== undefined) out.Retries = h.retries;
  if (h.startPeriod !== undefined) out.StartPeriod = h.startPeriod;
  if (h.startInterval !== undefined) out.StartInterval = h.startInterval;
  return out;
}

function restartPolicy(r: string | undefined): RestartPolicy {
  if (!r || r === 'no') return { Name: 'no' };
  const m = /^on-failure(?::(\d+))?$/.exec(r);
  if (m) return { Name: 'on-failure', MaximumRetryCount: m[1] ? Number(m[1]) : 0 };
  return { Name: r as RestartPolicy['Name'] };
}

function mounts(project: Project, s: ServiceConfig): { mounts: MountSpec[]; tmpfs: Record<string, string> } {
  const out: MountSpec[] = [];
  const tmpfs: Record<string, string> = {};
  for (const v of s.volumes) {
    if (v.type === 'tmpfs') {
      const size = v.tmpfs?.['size'];
      out.push({ Type: 'tmpfs', Target: v.target, ...(size !== undefined ? { TmpfsOptions: { SizeBytes: Number(size) } } : {}) });
    } else if (v.type === 'bind') {
      const prop = v.bind?.['propagation'];
      out.push({ Type: 'bind', Source: v.source, Target: v.target, ReadOnly: !!v.read_only, ...(prop ? { BindOptions: { Propagation: String(prop) } } : {}) });
    } else {
      const source = v.source ? (project.volumes[v.source]?.name ?? v.source) : undefined;
      out.push({ Type: 'volume', ...(source ? { Source: source } : {}), Target: v.target, ReadOnly: !!v.read_only, ...(v.volume?.['nocopy'] ? { VolumeOptions: { NoCopy: true } } : {}) });
    }
  }
  for (const t of s.tmpfs) {
    const [target, opts = ''] = t.split(/:(.*)/s);
    tmpfs[target!] = opts;
  }
  for (const f of [...s.secrets, ...s.configs]) out.push({ Type: 'bind', Source: f.file, Target: f.target, ReadOnly: true });
  return { mounts: out, tmpfs };
}

export function replicaSpec(project: Project, s: ServiceConfig, n: number, hash: string, imageRef: string, imageId: string | null): ReplicaSpec {
  const name = s.containerName ?? containerName(project.name, s.name, n);
  const labels: Record<string, string> = {
    ...s.labels,
    ...projectLabels(project),
    [L.service]: s.name,
    [L.number]: String(n),
    [L.oneoff]: 'False',
    [L.configHash]: hash,
    [L.workingDir]: project.workingDir,
    [L.configFiles]: project.configFiles.join(','),
    [L.dependsOn]: Object.entries(s.dependsOn)
      .map(([d, c]) => `${d}:${c.condition}:${c.restart}`)
      .join(','),
    ...(imageId ? { [L.image]: imageId } : {}),
  };
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: PortMap = {};
  for (const p of s.ports) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.host_ip ?? '', HostPort: p.published ?? '' });
  }
  for (const e of s.expose) exposed[e.includes('/') ? e : `${e}/tcp`] = {};
  const m = mounts(project, s);
  const netKeys = Object.keys(s.networks);
  const first = netKeys[0];
  const aliases = (k: string) => [s.name, ...(s.networks[k]?.aliases ?? [])];
  const networkMode = s.networkMode ?? (first ? project.networks[first]!.name : 'default');

  const body: ContainerCreateBody = {
    name,
    Image: imageRef,
    Labels: labels,
    Env: Object.entries(s.environment).map(([k, v]) => `${k}=${v}`),
    ...(s.command !== undefined ? { Cmd: s.command } : {}),
    ...(s.entrypoint !== undefined ? { Entrypoint: s.entrypoint } : {}),
    ExposedPorts: exposed,
    Hostname: s.hostname ?? '',
    Domainname: s.domainname ?? '',
    User: s.user ?? '',
    WorkingDir: s.workingDir ?? '',
    Tty: s.tty,
    OpenStdin: s.stdinOpen,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(s.stopSignal ? { StopSignal: s.stopSignal } : {}),
    ...(s.stopGracePeriod !== undefined ? { StopTimeout: Math.ceil(s.stopGracePeriod / 1e9) } : {}),
    ...(s.healthcheck ? { Healthcheck: healthConfig(s.healthcheck) } : {}),
    HostConfig: {
      NetworkMode: networkMode,
      PortBindings: bindings,
      Mounts: m.mounts,
      ...(Object.keys(m.tmpfs).length ? { Tmpfs: m.tmpfs } : {}),
      RestartPolicy: restartPolicy(s.restart),
      ...(s.nanoCpus !== undefined ? { NanoCpus: s.nanoCpus } : {}),
      ...(s.cpuShares !== undefined ? { CpuShares: s.cpuShares } : {}),
      ...(s.cpuset !== undefined ? { CpusetCpus: s.cpuset } : {}),
      ...(s.memLimit !== undefined ? { Memory: s.memLimit } : {}),
      ...(s.memReservation !== undefined ? { MemoryReservation: s.memReservation } : {}),
      ...(s.memswapLimit !== undefined ? { MemorySwap: s.memswapLimit } : {}),
      ...(s.pidsLimit !== undefined ? { PidsLimit: s.pidsLimit } : {}),
      ...(s.shmSize !== undefined ? { ShmSize: s.shmSize } : {}),
      ...(s.init !== undefined ? { Init: s.init } : {}),
      Privileged: s.privileged,
      ...(s.devices ? { Devices: s.devices.map((d) => ({ PathOnHost: d.source, PathInContainer: d.target, CgroupPermissions: d.permissions })) } : {}),
      ...(s.deviceCgroupRules ? { DeviceCgroupRules: s.deviceCgroupRules } : {}),
      ReadonlyRootfs: s.readOnly,
      ...(s.capAdd.length ? { CapAdd: s.capAdd } : {}),
      ...(s.capDrop.length ? { CapDrop: s.capDrop } : {}),
      ...(s.dns.length ? { Dns: s.dns } : {}),
      ...(s.dnsSearch.length ? { DnsSearch: s.dnsSearch } : {}),
      ...(s.extraHosts.length ? { ExtraHosts: s.extraHosts } : {}),
      ...(Object.keys(s.sysctls).length ? { Sysctls: s.sysctls } : {}),
      ...(s.securityOpt.length ? { SecurityOpt: s.securityOpt } : {}),
      ...(s.groupAdd.length ? { GroupAdd: s.groupAdd } : {}),
      ...(s.ulimits.length ? { Ulimits: s.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })) } : {}),
      ...(s.logging?.driver ? { LogConfig: { Type: s.logging.driver, Config: s.logging.options } } : {}),
    },
    NetworkingConfig: first
      ? { EndpointsConfig: { [project.networks[first]!.name]: { Aliases: aliases(first), ...(s.networks[first]!.ipv4Address ? { IPAMConfig: { IPv4Address: s.networks[first]!.ipv4Address } } : {}) } } }
      : undefined,
  };
  const extraNetworks = netKeys.slice(1).map((k) => ({ network: project.networks[k]!.name, aliases: aliases(k), ipv4Address: s.networks[k]!.ipv4Address }));
  return { name, body, extraNetworks };
}
