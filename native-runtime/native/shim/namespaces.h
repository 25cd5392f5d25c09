#pragma once

#include <sys/types.h>

#include "config.h"
#include "error.h"

// Opens the net namespace to join (namespaces.net is a path) in the host's mount namespace; -1 otherwise.
int namespaces_open_net(const ShimConfig &c, Error *e);

// Forks the container's init into new pid/mnt/uts/ipc (and net when "new") namespaces.
// Returns the child's pid in the parent, 0 in the child, -1 on error, like fork.
pid_t namespaces_clone(const ShimConfig &c, Error *e);

// In the child: joins the net namespace opened by namespaces_open_net.
bool namespaces_join_net(int fd, Error *e);
