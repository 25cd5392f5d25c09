#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int namespaces_open_net(const ShimConfig &c, Error *e) {
  if (c.net[0] != '/') return -1;
  int fd = open(c.net, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(e, "namespaces", errno, "open net namespace %s", c.net);
  return fd;
}

pid_t namespaces_clone(const ShimConfig &c, Error *e) {
  unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
  if (strcmp(c.net, "new") == 0) flags |= CLONE_NEWNET;
  // The raw syscall without a new stack behaves like fork; the shim is single-threaded.
  pid_t pid = (pid_t)syscall(SYS_clone, flags, 0, 0, 0, 0);
  if (pid < 0) fail(e, "clone", errno, "clone the container init");
  return pid;
}

bool namespaces_join_net(int fd, Error *e) {
  if (fd >= 0 && setns(fd, CLONE_NEWNET) < 0) return fail(e, "namespaces", errno, "join net namespace");
  return true;
}
