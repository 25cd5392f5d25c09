// Engine API shapes for containers: inspect (docker_container_inspect_lim2.json) and the list summary
// (api_containers_json_all.json), with Docker's Status text and Command quoting.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ContainerInspect, ContainerSummary, EndpointSettings, NetworkSettings } from '../engine/types.js';
import { networkSettingsView, networksView, portSummaries } from '../networks/index.js';
import { mountPointsView } from '../volumes/index.js';
import { etcPaths } from '../networks/etc-files.js';
import { GO_ZERO_TIME, type ContainerRecord } from './record.js';

/** go-units HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

export function statusText(rec: ContainerRecord, now = Date.now()): string {
  const st = rec.state;
  switch (st.status) {
    case 'running': {
      // Docker: "Up 3 minutes (healthy)", "(health: starting)".
      const h = st.health && rec.cfg.config.Healthcheck ? (st.health.Status === 'starting' ? ' (health: starting)' : ` (${st.health.Status})`) : '';
      return `Up ${humanDuration(now - Date.parse(st.startedAt))}${h}`;
    }
    case 'paused':
      return `Up ${humanDuration(now - Date.parse(st.startedAt))} (Paused)`;
    case 'restarting':
      return `Restarting (${st.exitCode}) ${humanDuration(now - Date.parse(st.finishedAt))} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'exited':
      return st.finishedAt === GO_ZERO_TIME ? `Exited (${st.exitCode})` : `Exited (${st.exitCode}) ${humanDuration(now - Date.parse(st.finishedAt))} ago`;
    default:
      return 'Created';
  }
}

/** moby daemon/list.go: arguments with a space are single-quoted. */
export function commandText(rec: ContainerRecord): string {
  const args = rec.cfg.args.map((a) => (a.includes(' ') ? `'${a}'` : a));
  return args.length ? `${rec.cfg.path} ${args.join(' ')}` : rec.cfg.path;
}

const isUp = (rec: ContainerRecord) => rec.state.status === 'running' || rec.state.status === 'paused' || rec.state.status === 'restarting';

function pick<T extends object, K extends keyof T>(o: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
}

function networkSettings(rec: ContainerRecord): NetworkSettings {
  const up = isUp(rec);
  const net = networkSettingsView(rec);
  return {
    Bridge: '',
    SandboxID: up ? createHash('sha256').update(`sandbox-${rec.cfg.id}-${rec.state.startedAt}`).digest('hex') : '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: net.Ports,
    SandboxKey: up && rec.state.pid ? `/proc/${rec.state.pid}/ns/net` : '',
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    ...pick(net, 'EndpointID', 'Gateway'),
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    ...pick(net, 'IPAddress', 'IPPrefixLen'),
    IPv6Gateway: '',
    ...pick(net, 'MacAddress', 'Networks'),
  };
}

export function inspectView(rec: ContainerRecord, containerDir: string, sizes?: { rw: number; rootFs: number }): ContainerInspect {
  const st = rec.state;
  const etc = etcPaths(containerDir);
  const out: ContainerInspect = {
    Id: rec.cfg.id,
    Created: rec.cfg.created,
    Path: rec.cfg.path,
    Args: rec.cfg.args,
    State: {
      Status: st.status,
      Running: st.status === 'running' || st.status === 'paused',
      Paused: st.status === 'paused',
      Restarting: st.status === 'restarting',
      OOMKilled: st.oomKilled,
      Dead: st.status === 'dead',
      Pid: isUp(rec) ? st.pid : 0,
      ExitCode: st.exitCode,
      Error: st.error,
      StartedAt: st.startedAt,
      FinishedAt: st.finishedAt,
      ...(st.health && rec.cfg.config.Healthcheck ? { Health: st.health } : {}),
    },
    Image: rec.cfg.imageId,
    ResolvConfPath: etc.resolvConf,
    HostnamePath: etc.hostname,
    HostsPath: etc.hosts,
    LogPath: path.join(containerDir, 'log', 'container.log'),
    Name: rec.cfg.name,
    RestartCount: st.restartCount,
    Driver: dockerDriverName(rec.cfg.storageDriver),
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: rec.cfg.userns
      ? { ...rec.cfg.hostConfig, IDMappings: { UidMap: [`0:${rec.cfg.userns.uid}:${rec.cfg.userns.size}`], GidMap: [`0:${rec.cfg.userns.gid}:${rec.cfg.userns.size}`] } }
      : rec.cfg.hostConfig,
    GraphDriver: { Data: rec.cfg.graphDriver, Name: dockerDriverName(rec.cfg.storageDriver) },
    ...(sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
    Mounts: mountPointsView(rec.cfg.mounts),
    Config: rec.cfg.config,
    NetworkSettings: networkSettings(rec),
  };
  return out;
}

export function summaryView(rec: ContainerRecord, sizes?: { rw: number; rootFs: number }): ContainerSummary {
  // Key order as dockerd emits it: the sizes sit between Ports and Labels.
  return {
    Id: rec.cfg.id,
    Names: [rec.cfg.name],
    Image: rec.cfg.config.Image,
    ImageID: rec.cfg.imageId,
    Command: commandText(rec),
    Created: Math.floor(Date.parse(rec.cfg.created) / 1000),
    Ports: isUp(rec) ? portSummaries(rec.state.ports, rec.cfg.config.ExposedPorts) : [],
    ...(sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
    Labels: rec.cfg.config.Labels ?? {},
    State: rec.state.status,
    Status: statusText(rec),
    HostConfig: { NetworkMode: rec.cfg.hostConfig.NetworkMode },
    NetworkSettings: { Networks: networksView(rec) },
    Mounts: mountPointsView(rec.cfg.mounts),
  };
}

/** dockerd's name for a storage driver: its overlay driver is overlay2. */
function dockerDriverName(d: 'overlay' | 'btrfs' | 'vfs' | undefined): string {
  return !d || d === 'overlay' ? 'overlay2' : d;
}
