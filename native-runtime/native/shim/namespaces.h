#pragma once

#include <sys/types.h>

#include "config.h"
#include "error.h"

// Opens the net namespace to join (namespaces.net is a path) in the host's mount namespace; -1 otherwise.
int namespaces_open_net(const ShimConfig &c, Error *e);

// Forks the container's init into new pid/mnt/uts/ipc (and net when "new", and user when c.userns maps
// ids) namespaces. Returns the child's pid in the parent, 0 in the child, -1 on error, like fork.
pid_t namespaces_clone(const ShimConfig &c, Error *e);

// In the child: joins the net namespace opened by namespaces_open_net.
bool namespaces_join_net(int fd, Error *e);

// User namespace, shim side, before the child is released: a socket pair whose child end goes to the
// container (*child_end), then after the clone the id maps and the idmapped mounts sent over it.
bool namespaces_userns_socket(const ShimConfig &c, int *parent_end, int *child_end, Error *e);
bool namespaces_userns_parent(const ShimConfig &c, pid_t pid, int sock, Error *e);

// User namespace, container side, once released: becomes the namespace's root and receives the mounts
// the shim prepared. fds[0] is the rootfs, fds[1 + i] mount i's idmapped bind or -1. Without a user
// namespace all stay -1.
bool namespaces_userns_child(const ShimConfig &c, int sock, int *fds, Error *e);
