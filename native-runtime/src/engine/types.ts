// The Engine API's wire shapes. They are declared in ./api/, one file per swagger area and named after their
// swagger definitions; this index re-exports them. Runtime records are not wire shapes: they live with their
// subsystems (ContainerRecord, NetworkRecord, EndpointRecord, ImageRecord) and views convert them.
export type * from './api/index.js';

// Names older than the swagger ones, kept so importers need not change.
export type { ContainerCreateRequest as ContainerCreateBody, ContainerInspectResponse as ContainerInspect, ContainerTopResponse as ContainerTop, FilesystemChange as ContainerChange, Mount as MountSpec } from './api/containers.js';
export type { EventMessage as EngineEvent } from './api/events.js';
export type { ExecConfig as ExecCreateOptions, ExecInspectResponse as ExecInspect, ExecStartConfig as ExecStartOptions } from './api/exec.js';
export type { HistoryResponseItem as ImageHistoryEntry } from './api/images.js';
export type { Network as NetworkInspect, NetworkCreateRequest as NetworkCreateOptions } from './api/networks.js';
export type { ContainerBlkioStatEntry as BlkioStatEntry, ContainerBlkioStats as BlkioStats, ContainerCPUStats as CpuStats, ContainerCPUUsage as CpuUsage, ContainerMemoryStats as MemoryStats, ContainerNetworkStats as NetworkStats, ContainerStatsResponse as ContainerStats } from './api/stats.js';
export type { SystemDataUsageResponse as SystemDf, SystemInfo as Info, SystemVersion as Version } from './api/system.js';
