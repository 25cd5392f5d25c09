// shim.json as described in docs/runtime.md.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "json.h"
#include "seccomp.h"
#include "userns.h"

struct OverlaySpec {
  const char *cwd;           // lowers are relative to this directory
  const char **lower;
  int nlower;
  const char *upper;         // may be null (read-only overlay)
  const char *work;
  bool volatile_upper;       // mount with "volatile": no syncs of the upper dir (AutoRemove containers)
};

struct MountSpec {
  const char *source;
  const char *destination;
  const char *type;
  const char **options;
  int noptions;
};

struct RlimitSpec {
  int resource;
  uint64_t soft;
  uint64_t hard;
};

struct ProcessSpec {
  const char **args;         // NULL-terminated
  int nargs;
  const char **env;          // NULL-terminated
  int nenv;
  const char *cwd;
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  int ngids;
  bool terminal;
  bool open_stdin;
  bool stdin_once;
  bool no_new_privileges;
  uint64_t capabilities;     // bit mask of CAP_* numbers
  RlimitSpec *rlimits;
  int nrlimits;
  bool init;
};

struct PortSpec {
  const char *host_ip;       // default 127.0.0.1
  int host_port;             // 0: the kernel picks one, reported in the status line
  int container_port;
  bool udp;
  const char *connect_ip;    // address dialled inside the container's net namespace; default 127.0.0.1
};

struct RouteSpec {
  const char *destination;   // CIDR, e.g. "10.1.0.0/16" ("0.0.0.0/0" is a default route)
  const char *gateway;       // may be null: an on-link route
};

// network.veth: either the peer end of a veth pair the server created on the host, which the shim moves
// into the container's new net namespace, renames and configures; or (with host and bridge) a pair the
// shim creates itself, host end on the bridge and peer already in the namespace under its final name:
// moving a device between namespaces costs the kernel an RCU barrier (15-20 ms here), creating it there
// does not.
struct NetworkSpec {
  const char *veth_peer;     // null: no veth (only lo)
  const char *veth_name;     // default "eth0"
  const char *veth_host;     // with bridge: the shim creates the pair; this is the host end's name
  const char *bridge;
  const char *address;       // CIDR, may be null
  const char *mac;           // may be null
  RouteSpec *routes;
  int nroutes;
};

// cgroupMount: the container's own cgroup tree at /sys/fs/cgroup, as dockerd mounts it. v1: a tmpfs with
// each hierarchy's container directory bind-mounted at <name> ("cpu,cpuacct" also gets a symlink per
// controller); v2: a new cgroup namespace (entered after joining the group) and a cgroup2 mount.
struct CgroupHierarchy {
  const char *name;          // directory under /sys/fs/cgroup, e.g. "memory"
  const char *source;        // the container's directory on the host
};

struct CgroupMountSpec {
  int version;               // 0: nothing mounted (an empty /sys/fs/cgroup); 1 or 2
  bool readonly;
  CgroupHierarchy *hierarchies;
  int nhierarchies;
};

// "devices": a --device node made in the container's /dev (or elsewhere) with the host's numbers, mode
// and owner; where mknod is refused (a user namespace) the host's node is bound instead, as runc.
struct DeviceSpec {
  const char *path;          // absolute, inside the container
  const char *host_path;     // absolute, on the host
  bool block;                // 'b', else 'c'
  uint64_t major, minor;
  uint64_t file_mode;        // permission bits
  uint64_t uid, gid;
};

struct ShimConfig {
  const char *id;
  OverlaySpec overlay;
  // "rootfs": {"type":"bind","source":…}: the storage driver's rootfs is a plain directory (vfs, btrfs),
  // bound instead of mounting "overlay" (which is then absent).
  const char *rootfs_bind;
  const char *rootfs_propagation;
  bool readonly_rootfs;
  ProcessSpec process;
  const char *hostname;
  const char *net;           // "new" | "host" | path of a net namespace to join
  bool uts_host;             // namespaces.uts "host": no new uts namespace (Docker's --uts host)
  bool ipc_host;             // namespaces.ipc "host": the host's ipc namespace and /dev/shm (--ipc host)
  const char **cgroups;
  int ncgroups;
  MountSpec *mounts;
  int nmounts;
  uint64_t shm_size;
  const char **masked_paths;
  int nmasked;
  const char **readonly_paths;
  int nreadonly;
  const char **sysctls;  // "key=value": written under /proc/sys before it turns read-only
  int nsysctls;
  bool seccomp;
  SeccompFilter seccomp_filter;  // "seccompFilter": a custom profile's program
  // Docker's --privileged for the filesystem: the host's device nodes in /dev, /sys writable. (Capabilities,
  // seccomp, masked paths and the devices cgroup come through their own fields.)
  bool privileged;
  CgroupMountSpec cgroup_mount;
  DeviceSpec *devices;
  int ndevices;
  const char *log_path;
  uint64_t log_max_size;
  int log_max_files;
  const char *exit_file;
  const char *pid_file;
  // Additions for attach, ports and networking (docs/runtime.md); all optional.
  const char *attach_socket; // null: no attach server
  bool wait_for_attach;      // exec only once the first client attached
  int console_rows, console_cols;  // consoleSize [h, w]; 0: leave the pty's size alone
  PortSpec *ports;
  int nports;
  NetworkSpec network;
  UsernsSpec userns;         // a user namespace with these maps (issue #19); nuid == 0: none
};

// exec.json: a process started inside a running container's namespaces and cgroups.
struct ExecConfig {
  int pid;                   // the container's init, as seen from the host
  const char **namespaces;   // of "ipc", "uts", "net", "pid", "mnt" (and "cgroup")
  int nnamespaces;
  const char **cgroups;
  int ncgroups;
  ProcessSpec process;
  const char *attach_socket;
  const char *exit_file;
  const char *pid_file;
  bool wait_for_attach;
  bool seccomp;
  SeccompFilter seccomp_filter;
  int console_rows, console_cols;
};

bool config_load(const char *path, ShimConfig *c, Error *e);
bool config_from_json(const JsonNode *root, ShimConfig *c, Error *e);
bool exec_config_load(const char *path, ExecConfig *c, Error *e);

// Reads a whole file (up to 16 MiB) into a malloc'ed NUL-terminated buffer.
char *read_file(const char *path, size_t *len, Error *e);

// Helpers shared with the mount-overlay mode.
bool json_string(const JsonNode *obj, const char *key, bool required, const char **out, Error *e);
bool json_string_array(const JsonNode *obj, const char *key, bool required, const char ***out, int *n, Error *e);
bool json_bool(const JsonNode *obj, const char *key, bool *out, Error *e);
