// The loaded Compose application: what deploy, plan and the API work with. Values are normalized
// (sizes in bytes, durations in nanoseconds, paths absolute) and only enabled services are present.
import type { DeviceLong, PortLong, VolumeLong } from './canonical.ts';

export type DependsCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface HealthcheckConfig {
  test?: string[];
  interval?: number;
  timeout?: number;
  retries?: number;
  startPeriod?: number;
  startInterval?: number;
}

export interface BuildConfig {
  /** Absolute, inside the working dir. */
  context: string;
  dockerfile?: string;
  args: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
}

export interface FileMount {
  /** Absolute path of the file on this machine. */
  file: string;
  target: string;
  mode?: number;
  /** For a secret or config from `environment:` or `content:`: what Berth writes to `file` at deploy. */
  content?: string;
}

export interface ServiceConfig {
  name: string;
  image?: string;
  build?: BuildConfig;
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment: Record<string, string>;
  ports: PortLong[];
  expose: string[];
  volumes: VolumeLong[];
  networks: Record<string, { aliases: string[]; ipv4Address?: string; ipv6Address?: string }>;
  networkMode?: string;
  dependsOn: Record<string, { condition: DependsCondition; required: boolean; restart: boolean }>;
  healthcheck?: HealthcheckConfig;
  restart?: string;
  user?: string;
  workingDir?: string;
  hostname?: string;
  domainname?: string;
  containerName?: string;
  labels: Record<string, string>;
  nanoCpus?: number;
  cpuShares?: number;
  cpuset?: string;
  memLimit?: number;
  memReservation?: number;
  memswapLimit?: number;
  pidsLimit?: number;
  shmSize?: number;
  replicas: number;
  stopSignal?: string;
  stopGracePeriod?: number;
  tty: boolean;
  stdinOpen: boolean;
  init?: boolean;
  privileged: boolean;
  /** Host device nodes (admins only, as `docker run --device` in the dashboard); absent when none. */
  devices?: DeviceLong[];
  /** devices cgroup rules ("c 1:3 rwm"); absent when none. */
  deviceCgroupRules?: string[];
  readOnly: boolean;
  capAdd: string[];
  capDrop: string[];
  dns: string[];
  dnsSearch: string[];
  extraHosts: string[];
  sysctls: Record<string, string>;
  tmpfs: string[];
  securityOpt: string[];
  groupAdd: string[];
  ulimits: { name: string; soft: number; hard: number }[];
  logging?: { driver?: string; options: Record<string, string> };
  secrets: FileMount[];
  configs: FileMount[];
  pullPolicy?: string;
  platform?: string;
  profiles: string[];
  /** docker-compose 1.29's config_dict() without the image id: the base of the config hash (config-hash-v1.ts). */
  v1Config: Record<string, unknown>;
}

export interface NetworkConfig {
  /** The engine's name: `<project>_<key>` unless `name:` or external says otherwise. */
  name: string;
  external: boolean;
  driver?: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
  internal: boolean;
  attachable: boolean;
  enableIpv6: boolean;
  ipam?: { driver?: string; config: { subnet?: string; gateway?: string; ip_range?: string }[] };
}

export interface VolumeConfig {
  name: string;
  external: boolean;
  driver?: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
}

export interface Project {
  name: string;
  workingDir: string;
  /** Absolute paths of the compose files, in merge order. */
  configFiles: string[];
  services: Record<string, ServiceConfig>;
  /** Services left out by their profiles. */
  disabledServices: string[];
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  warnings: string[];
}
