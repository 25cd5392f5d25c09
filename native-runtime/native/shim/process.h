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
  int stdin_rd;   // pipe read end when openStdin without a terminal, else -1 (/dev/null)
  int ready_wr;   // waitForAttach: one byte once everything but execve is done, else -1
  int go_rd;      // waitForAttach: the shim writes one byte once a client attached, else -1
  int rootfs_sock;  // user namespace: the shim sends the idmapped rootfs (then each idmapped bind) here, else -1
};

// How process_launch finishes a process; run and exec mode differ only in these.
struct LaunchOptions {
  bool seccomp;
  bool create_cwd;    // run mode creates a missing workdir, as Docker does; exec fails instead
  bool allow_init;    // process.init is honoured in run mode only
  int console_rows, console_cols;
  const SeccompFilter *filter;  // a custom profile's program (n > 0) instead of the built-in filter
};

// Never returns: execs the container process, or reports an Error on error_wr and exits 127.
[[noreturn]] void container_main(const ShimConfig &c, const char *rootfs_dir, const ContainerFds &fds);

// From stdio to execve, once the process sits in its namespaces and root: rlimits, capabilities,
// user, no_new_privs, seccomp, workdir, the waitForAttach pause, init, terminal, exec.
// Returns only on error.
bool process_launch(const ProcessSpec &p, const LaunchOptions &o, const ContainerFds &f, Error *e);

// Reports e on error_wr and exits 127.
[[noreturn]] void process_fail(const ContainerFds &f, const Error &e);
