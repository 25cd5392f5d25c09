// Engine API wire shapes (Docker Engine API 1.41, as dockerd 20.10 sends them), named after their swagger
// definitions. GET /containers/{id}/stats: ContainerStatsResponse and its parts.
// Nullability follows the wire: where dockerd sends `null` for an empty list, the type says `T[] | null`.

export interface ContainerCPUUsage {
  total_usage: number;
  /** cgroup v1 only. */
  percpu_usage?: number[];
  usage_in_kernelmode: number;
  usage_in_usermode: number;
}

export interface ContainerCPUStats {
  cpu_usage: ContainerCPUUsage;
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export interface ContainerBlkioStatEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface ContainerBlkioStats {
  io_service_bytes_recursive: ContainerBlkioStatEntry[] | null;
  io_serviced_recursive: ContainerBlkioStatEntry[] | null;
  io_queue_recursive: ContainerBlkioStatEntry[] | null;
  io_service_time_recursive: ContainerBlkioStatEntry[] | null;
  io_wait_time_recursive: ContainerBlkioStatEntry[] | null;
  io_merged_recursive: ContainerBlkioStatEntry[] | null;
  io_time_recursive: ContainerBlkioStatEntry[] | null;
  sectors_recursive: ContainerBlkioStatEntry[] | null;
}

export interface ContainerMemoryStats {
  usage?: number;
  /** cgroup v1 only. */
  max_usage?: number;
  /** v1: Docker 20.10's memory.stat keys (cache, rss, total_*…); v2: anon, file, … */
  stats?: Record<string, number>;
  failcnt?: number;
  limit?: number;
}

export interface ContainerNetworkStats {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

/** GET /containers/{id}/stats (api_containers_id_stats_stream_false.json). */
export interface ContainerStatsResponse {
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: ContainerBlkioStats;
  num_procs: number;
  storage_stats: Record<string, never> | Record<string, number>;
  cpu_stats: ContainerCPUStats;
  precpu_stats: ContainerCPUStats;
  memory_stats: ContainerMemoryStats;
  /** Absent with --network none (as in the fixture). */
  networks?: Record<string, ContainerNetworkStats>;
  name: string;
  id: string;
}
