#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd.h"
#include "userns.h"

int namespaces_open_net(const ShimConfig &c, Error *e) {
  if (c.net[0] != '/') return -1;
  int fd = open(c.net, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(e, "namespaces", errno, "open net namespace %s", c.net);
  return fd;
}

pid_t namespaces_clone(const ShimConfig &c, Error *e) {
  unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | SIGCHLD;
  if (!c.uts_host) flags |= CLONE_NEWUTS;
  if (!c.ipc_host) flags |= CLONE_NEWIPC;
  if (strcmp(c.net, "new") == 0) flags |= CLONE_NEWNET;
  // One clone creates the user namespace with the others, so it owns them (mounting proc, sysfs,
  // devpts and mqueue inside needs that).
  if (c.userns.nuid) flags |= CLONE_NEWUSER;
  // The raw syscall without a new stack behaves like fork; the shim is single-threaded.
  pid_t pid = (pid_t)syscall(SYS_clone, flags, 0, 0, 0, 0);
  if (pid < 0) fail(e, "clone", errno, "clone the container init");
  return pid;
}

bool namespaces_join_net(int fd, Error *e) {
  if (fd >= 0 && setns(fd, CLONE_NEWNET) < 0) return fail(e, "namespaces", errno, "join net namespace");
  return true;
}

bool namespaces_userns_socket(const ShimConfig &c, int *parent_end, int *child_end, Error *e) {
  *parent_end = *child_end = -1;
  if (!c.userns.nuid) return true;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return fail(e, "userns", errno, "socketpair");
  *parent_end = sv[0];
  *child_end = sv[1];
  return true;
}

// Idmapped mounts need CAP_SYS_ADMIN over the mounts' namespace (the host's), so the shim makes them,
// once the child's namespace has its maps, and hands them over as detached mounts.
bool namespaces_userns_parent(const ShimConfig &c, pid_t pid, int sock, Error *e) {
  if (!c.userns.nuid) return true;
  if (!userns_write_maps(pid, c.userns, e)) return false;
  // vfs/btrfs: the rootfs is one directory, idmapped as a whole; overlay: each layer and the upper.
  if (c.rootfs_bind && !c.userns.idmap) return fail(e, "config", EINVAL, "\"userns.idmap\": false needs the overlay driver");
  Fd rootfs(c.rootfs_bind ? userns_idmapped_bind(c.rootfs_bind, true, pid, e) : userns_overlay_mount(c.overlay, pid, c.userns, e));
  if (!rootfs.ok() || !userns_send_fd(sock, rootfs.get(), e)) return false;
  for (int i = 0; i < c.nmounts; i++) {
    if (!userns_mount_wants_idmap(c.mounts[i])) continue;
    bool recursive = false;
    for (int j = 0; j < c.mounts[i].noptions; j++) recursive = recursive || strcmp(c.mounts[i].options[j], "rbind") == 0;
    Fd bind(userns_idmapped_bind(c.mounts[i].source, recursive, pid, e));
    if (!bind.ok() || !userns_send_fd(sock, bind.get(), e)) return false;
  }
  return true;
}

bool namespaces_userns_child(const ShimConfig &c, int sock, int *fds, Error *e) {
  for (int i = 0; i <= c.nmounts; i++) fds[i] = -1;
  if (!c.userns.nuid) return true;
  if (!userns_become_root(e)) return false;
  fds[0] = userns_receive_fd(sock, e);
  if (fds[0] < 0) return false;
  for (int i = 0; i < c.nmounts; i++) {
    if (!userns_mount_wants_idmap(c.mounts[i])) continue;
    fds[1 + i] = userns_receive_fd(sock, e);
    if (fds[1 + i] < 0) return false;
  }
  close(sock);
  return true;
}
