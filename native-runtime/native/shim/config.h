// shim.json as described in docs/runtime.md.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "json.h"

struct OverlaySpec {
  const char *cwd;           // lowers are relative to this directory
  const char **lower;
  int nlower;
  const char *upper;         // may be null (read-only overlay)
  const char *work;
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

struct ShimConfig {
  const char *id;
  OverlaySpec overlay;
  const char *rootfs_propagation;
  bool readonly_rootfs;
  ProcessSpec process;
  const char *hostname;
  const char *net;           // "new" | "host" | path of a net namespace to join
  const char **cgroups;
  int ncgroups;
  MountSpec *mounts;
  int nmounts;
  uint64_t shm_size;
  const char **masked_paths;
  int nmasked;
  const char **readonly_paths;
  int nreadonly;
  bool seccomp;
  const char *log_path;
  uint64_t log_max_size;
  int log_max_files;
  const char *exit_file;
  const char *pid_file;
};

bool config_load(const char *path, ShimConfig *c, Error *e);
bool config_from_json(const JsonNode *root, ShimConfig *c, Error *e);

// Reads a whole file (up to 16 MiB) into a malloc'ed NUL-terminated buffer.
char *read_file(const char *path, size_t *len, Error *e);

// Helpers shared with the mount-overlay mode.
bool json_string(const JsonNode *obj, const char *key, bool required, const char **out, Error *e);
bool json_string_array(const JsonNode *obj, const char *key, bool required, const char ***out, int *n, Error *e);
bool json_bool(const JsonNode *obj, const char *key, bool *out, Error *e);
