// The compose keys Berth acts on. Anything else in a file is named in a warning (never silently dropped).
export const SUPPORTED_TOP_KEYS = new Set(['version', 'name', 'services', 'networks', 'volumes', 'secrets', 'configs']);

export const SUPPORTED_SERVICE_KEYS = new Set([
  'image', 'build', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'expose', 'volumes', 'networks',
  'network_mode', 'depends_on', 'healthcheck', 'restart', 'user', 'working_dir', 'hostname', 'domainname',
  'container_name', 'labels', 'cpus', 'cpu_shares', 'cpuset', 'mem_limit', 'mem_reservation', 'memswap_limit',
  'pids_limit', 'shm_size', 'deploy', 'scale', 'stop_signal', 'stop_grace_period', 'tty', 'stdin_open', 'init',
  'privileged', 'read_only', 'cap_add', 'cap_drop', 'dns', 'dns_search', 'extra_hosts', 'sysctls', 'tmpfs',
  'security_opt', 'group_add', 'ulimits', 'logging', 'secrets', 'configs', 'pull_policy', 'platform', 'profiles',
  'extends', 'devices', 'device_cgroup_rules',
]);
