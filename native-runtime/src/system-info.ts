// info(), version() and df() in the shapes of api_info.json, api_version.json and /system/df.
import * as fs from 'node:fs';
import os from 'node:os';
import type { CgroupCapabilities } from './cgroups/types.js';
import type { ContainerSummary, ImageSummary, Info, SystemDf, Version } from './engine/types.js';
import { rfc3339Nano } from './images/time.js';

export const BERTH_VERSION = '0.1.0';
export const API_VERSION = '1.41';
export const MIN_API_VERSION = '1.24';
const BUILD_TIME = '2026-01-01T00:00:00.000000000+00:00';

function osRelease(): { pretty: string; version: string } {
  try {
    const text = fs.readFileSync('/etc/os-release', 'utf8');
    const get = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] ?? '';
    return { pretty: get('PRETTY_NAME') || 'Linux', version: get('VERSION_ID') };
  } catch {
    return { pretty: 'Linux', version: '' };
  }
}

const goArch = (): string => ({ x64: 'amd64', arm64: 'arm64', ia32: '386' } as Record<string, string>)[process.arch] ?? process.arch;

export interface InfoInput {
  id: string;
  root: string;
  containers: { running: number; paused: number; stopped: number };
  images: number;
  caps: CgroupCapabilities;
  shimPath: string;
  listeners: number;
  /** The default user namespace mode (src/userns); dockerd lists name=userns when remapping. */
  userns?: 'host' | 'remap' | 'auto';
  /** The storage driver (dockerd's name) and its status lines. */
  storage?: { driver: string; status: [string, string][] };
}

export function buildInfo(i: InfoInput): Info {
  const rel = osRelease();
  const warnings: string[] = [];
  if (!i.caps.swapLimit) warnings.push('WARNING: No swap limit support');
  warnings.push('WARNING: No blkio weight support', 'WARNING: No blkio weight_device support');
  let nfd = 0;
  try {
    nfd = fs.readdirSync('/proc/self/fd').length;
  } catch {
    /* not Linux */
  }
  return {
    ID: i.id,
    Containers: i.containers.running + i.containers.paused + i.containers.stopped,
    ContainersRunning: i.containers.running,
    ContainersPaused: i.containers.paused,
    ContainersStopped: i.containers.stopped,
    Images: i.images,
    Driver: i.storage?.driver ?? 'overlay2',
    DriverStatus: i.storage?.status ?? [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true'], ['Native Overlay Diff', 'true'], ['userxattr', 'false']],
    Plugins: { Volume: ['local'], Network: ['host', 'null'], Authorization: null, Log: ['local'] },
    MemoryLimit: i.caps.memoryLimit,
    SwapLimit: i.caps.swapLimit,
    KernelMemory: false,
    KernelMemoryTCP: false,
    CpuCfsPeriod: i.caps.cpuCfs,
    CpuCfsQuota: i.caps.cpuCfs,
    CPUShares: i.caps.cpuShares,
    CPUSet: i.caps.cpuset,
    PidsLimit: i.caps.pidsLimit,
    IPv4Forwarding: readFlag('/proc/sys/net/ipv4/ip_forward'),
    BridgeNfIptables: false,
    BridgeNfIp6tables: false,
    Debug: false,
    NFd: nfd,
    OomKillDisable: i.caps.version === 1,
    NGoroutines: 0,
    SystemTime: rfc3339Nano(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: String(i.caps.version),
    NEventsListener: i.listeners,
    KernelVersion: os.release(),
    OperatingSystem: rel.pretty,
    OSVersion: rel.version,
    OSType: 'linux',
    Architecture: os.machine(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: [],
      AllowNondistributableArtifactsHostnames: [],
      InsecureRegistryCIDRs: ['127.0.0.0/8'],
      IndexConfigs: { 'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true } },
      Mirrors: [],
    },
    NCPU: i.caps.ncpu,
    MemTotal: os.totalmem(),
    GenericResources: null,
    DockerRootDir: i.root,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: os.hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: BERTH_VERSION,
    Runtimes: { berth: { path: i.shimPath } },
    DefaultRuntime: 'berth',
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '', Expected: '' },
    RuncCommit: { ID: '', Expected: '' },
    InitCommit: { ID: '', Expected: '' },
    SecurityOptions: ['name=seccomp,profile=default', 'name=no-new-privileges', ...(i.userns && i.userns !== 'host' ? ['name=userns'] : [])],
    Warnings: warnings.length ? warnings : null,
  };
}

function readFlag(p: string): boolean {
  try {
    return fs.readFileSync(p, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

export function buildVersion(): Version {
  const details = {
    ApiVersion: API_VERSION,
    Arch: goArch(),
    BuildTime: BUILD_TIME,
    Experimental: 'false',
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    KernelVersion: os.release(),
    MinAPIVersion: MIN_API_VERSION,
    Os: 'linux',
  };
  return {
    Platform: { Name: 'Berth' },
    Components: [
      { Name: 'Engine', Version: BERTH_VERSION, Details: details },
      { Name: 'berth-shim', Version: BERTH_VERSION, Details: { GitCommit: '' } },
    ],
    Version: BERTH_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: os.release(),
    BuildTime: BUILD_TIME,
  };
}

export function buildDf(images: ImageSummary[], containers: ContainerSummary[], layersSize: number): SystemDf {
  return { LayersSize: layersSize, Images: images, Containers: containers, Volumes: [], BuildCache: [], BuilderSize: 0 };
}
