// zod schemas for what clients send: the create body and the resource limits. Shape checks only;
// host-dependent checks (CPU count, devices, swap accounting) live in cgroups/limits.ts.
// Unknown fields pass through (looseObject): newer clients send fields Berth does not know yet.
import { z } from 'zod';

const int = z.number().int();
const strList = z.array(z.string()).nullable();
const labels = z.record(z.string(), z.string());

export const ThrottleDeviceSchema = z.object({ Path: z.string().min(1), Rate: int.nonnegative() });
export const WeightDeviceSchema = z.object({ Path: z.string().min(1), Weight: int.min(0).max(1000) });
export const UlimitSchema = z.object({ Name: z.string().min(1), Soft: int, Hard: int });

/** The resource fields of HostConfig (also the body of `docker update`). */
export const ResourceLimitsSchema = z.looseObject({
  Memory: int.nonnegative().optional(),
  MemorySwap: int.min(-1).optional(),
  MemoryReservation: int.nonnegative().optional(),
  MemorySwappiness: int.min(-1).max(100).nullable().optional(),
  NanoCpus: int.nonnegative().optional(),
  CpuShares: int.nonnegative().optional(),
  CpuPeriod: int.nonnegative().optional(),
  CpuQuota: int.min(-1).optional(),
  CpusetCpus: z.string().optional(),
  CpusetMems: z.string().optional(),
  PidsLimit: int.nullable().optional(),
  BlkioWeight: int.min(0).max(1000).optional(),
  BlkioWeightDevice: z.array(WeightDeviceSchema).nullable().optional(),
  BlkioDeviceReadBps: z.array(ThrottleDeviceSchema).nullable().optional(),
  BlkioDeviceWriteBps: z.array(ThrottleDeviceSchema).nullable().optional(),
  BlkioDeviceReadIOps: z.array(ThrottleDeviceSchema).nullable().optional(),
  BlkioDeviceWriteIOps: z.array(ThrottleDeviceSchema).nullable().optional(),
  Ulimits: z.array(UlimitSchema).nullable().optional(),
  OomKillDisable: z.boolean().nullable().optional(),
});

export const RestartPolicySchema = z.object({
  Name: z.enum(['', 'no', 'always', 'unless-stopped', 'on-failure']),
  MaximumRetryCount: int.nonnegative().optional(),
});

export const LogConfigSchema = z.object({
  Type: z.string(),
  Config: z
    .looseObject({
      // Docker's units: "10m", "1g", "512k" or plain bytes.
      'max-size': z.string().regex(/^\d+(\.\d+)?[kKmMgG]?[bB]?$/, 'invalid max-size').optional(),
      'max-file': z.string().regex(/^[1-9]\d*$/, 'invalid max-file').optional(),
    })
    .optional(),
});

export const PortBindingSchema = z.object({ HostIp: z.string().optional(), HostPort: z.string().optional() });
const portKey = z.string().regex(/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/, 'invalid port');

export const MountSpecSchema = z.looseObject({
  Target: z.string().min(1),
  // docker-py (docker-compose 1.29) sends null for a tmpfs's source and an unset read-only; dockerd reads null as unset.
  Source: z
    .string()
    .nullish()
    .transform((v) => v ?? undefined),
  Type: z.enum(['bind', 'volume', 'tmpfs', 'npipe']),
  ReadOnly: z
    .boolean()
    .nullish()
    .transform((v) => v ?? undefined),
  Consistency: z.string().optional(),
  BindOptions: z.looseObject({ Propagation: z.string().optional(), NonRecursive: z.boolean().optional() }).optional(),
  VolumeOptions: z.looseObject({ NoCopy: z.boolean().optional(), Labels: labels.optional() }).optional(),
  TmpfsOptions: z.looseObject({ SizeBytes: int.nonnegative().optional(), Mode: int.optional() }).optional(),
});

export const HostConfigSchema = ResourceLimitsSchema.extend({
  Binds: strList.optional(),
  LogConfig: LogConfigSchema.optional(),
  NetworkMode: z.string().optional(),
  PortBindings: z.record(portKey, z.array(PortBindingSchema).nullable()).nullable().optional(),
  RestartPolicy: RestartPolicySchema.optional(),
  AutoRemove: z.boolean().optional(),
  VolumesFrom: strList.optional(),
  CapAdd: strList.optional(),
  CapDrop: strList.optional(),
  Dns: strList.optional(),
  DnsOptions: strList.optional(),
  DnsSearch: strList.optional(),
  ExtraHosts: z.array(z.string().regex(/^[^:\s]+:[^\s]+$/, 'invalid ExtraHosts entry, want host:ip')).nullable().optional(),
  GroupAdd: strList.optional(),
  IpcMode: z.string().optional(),
  PidMode: z.string().optional(),
  Privileged: z.boolean().optional(),
  PublishAllPorts: z.boolean().optional(),
  ReadonlyRootfs: z.boolean().optional(),
  SecurityOpt: strList.optional(),
  MaskedPaths: z.array(z.string().startsWith('/', 'MaskedPaths: paths must be absolute')).nullable().optional(),
  ReadonlyPaths: z.array(z.string().startsWith('/', 'ReadonlyPaths: paths must be absolute')).nullable().optional(),
  Tmpfs: z.record(z.string(), z.string()).optional(),
  UTSMode: z.string().optional(),
  ShmSize: int.nonnegative().optional(),
  Sysctls: z.record(z.string(), z.string()).optional(),
  Init: z.boolean().nullable().optional(),
  Mounts: z.array(MountSpecSchema).nullable().optional(),
  OomScoreAdj: int.min(-1000).max(1000).optional(),
  // --device / --device-cgroup-rule; host paths and rule syntax are checked in containers/devices.ts.
  Devices: z.array(z.object({ PathOnHost: z.string(), PathInContainer: z.string(), CgroupPermissions: z.string() })).nullable().optional(),
  DeviceCgroupRules: strList.optional(),
});

export const ContainerCreateBodySchema = z.looseObject({
  name: z.string().regex(/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'Invalid container name, only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed').optional(),
  Hostname: z.string().optional(),
  Domainname: z.string().optional(),
  User: z.string().optional(),
  AttachStdin: z.boolean().optional(),
  AttachStdout: z.boolean().optional(),
  AttachStderr: z.boolean().optional(),
  ExposedPorts: z.record(portKey, z.object({})).nullable().optional(),
  Tty: z.boolean().optional(),
  OpenStdin: z.boolean().optional(),
  StdinOnce: z.boolean().optional(),
  Env: z.array(z.string().regex(/^[^=]+(=|$)/, 'invalid environment variable')).nullable().optional(),
  Cmd: z.union([z.array(z.string()), z.string()]).nullable().optional(),
  Entrypoint: z.union([z.array(z.string()), z.string()]).nullable().optional(),
  Image: z.string().min(1),
  Volumes: z.record(z.string(), z.object({})).nullable().optional(),
  WorkingDir: z.string().optional(),
  Labels: labels.nullable().optional(),
  StopSignal: z.string().optional(),
  StopTimeout: int.nullable().optional(),
  NetworkDisabled: z.boolean().optional(),
  HostConfig: HostConfigSchema.optional(),
  NetworkingConfig: z
    .looseObject({ EndpointsConfig: z.record(z.string(), z.looseObject({})).nullable().optional() })
    .optional(),
});

export type ContainerCreateBodyInput = z.infer<typeof ContainerCreateBodySchema>;
export type ResourceLimitsInput = z.infer<typeof ResourceLimitsSchema>;
