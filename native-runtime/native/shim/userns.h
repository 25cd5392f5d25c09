// User namespaces (issue #19): the container's ids map to a subordinate range on the host, and its rootfs
// reaches it through idmapped mounts, so image layers are never copied or chowned.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "json.h"

struct IdMapping {
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct UsernsSpec {
  IdMapping *uid;  // nuid == 0: no user namespace
  int nuid;
  IdMapping *gid;
  int ngid;
  // false ("idmap": false): the engine gave chowned copies of the layers (the filesystem refuses
  // idmapped mounts), so the overlay is mounted plainly and its upper holds host ids.
  bool idmap;
};

struct OverlaySpec;
struct MountSpec;

// "userns": {"uidMap": [{"containerId","hostId","size"}], "gidMap": [...]}; absent or null: none.
bool userns_parse(const JsonNode *root, UsernsSpec *u, Error *e);

// In the shim, after cloning with CLONE_NEWUSER: writes /proc/<pid>/{uid,gid}_map (setgroups stays
// allowed: the writer is privileged in the parent namespace).
bool userns_write_maps(pid_t pid, const UsernsSpec &u, Error *e);

// In the shim: the overlay rootfs as a detached mount whose layers (lowers and upper) are idmapped into
// <pid>'s namespace. The upper then holds container-relative ids on disk, as without a namespace.
// Returns the mount fd, or -1 with e set.
int userns_overlay_mount(const OverlaySpec &ov, pid_t pid, const UsernsSpec &u, Error *e);

// `berth-shim idmap-probe <dir>`: whether <dir>'s filesystem takes MOUNT_ATTR_IDMAP (0: yes, 3: it refuses
// with EINVAL/EOPNOTSUPP/EPERM, 1: the probe itself failed). Forks a throwaway user namespace.
int userns_idmap_probe_main(const char *dir);

// In the shim: a detached clone of a bind source, idmapped into <pid>'s namespace (the "idmap" option).
int userns_idmapped_bind(const char *source, bool recursive, pid_t pid, Error *e);

bool userns_send_fd(int sock, int fd, Error *e);
int userns_receive_fd(int sock, Error *e);

// In the container, once the maps are written: become root of the namespace (kuid = the mapped root),
// so files it creates carry ids the namespace can express.
bool userns_become_root(Error *e);

// Attaches a detached mount (from userns_overlay_mount / userns_idmapped_bind) at target.
bool userns_attach(int mount_fd, const char *target, Error *e);

// Whether mount m asks for an idmapped bind.
bool userns_mount_wants_idmap(const MountSpec &m);
