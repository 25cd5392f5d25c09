// The container side: everything between clone and execve, run in the new namespaces.
#pragma once

#include "config.h"

struct ContainerFds {
  int sync_rd;    // the shim writes one byte once the cgroups are joined
  int error_wr;   // CLOEXEC: EOF on exec success, an Error record on failure
  int stdout_wr;  // pipes when terminal is false, else -1
  int stderr_wr;
  int pty_sock;   // unix socket for the pty master when terminal is true, else -1
  int netns;      // net namespace to join, or -1
};

// Never returns: execs the container process, or reports an Error on error_wr and exits 127.
[[noreturn]] void container_main(const ShimConfig &c, const char *rootfs_dir, const ContainerFds &fds);
