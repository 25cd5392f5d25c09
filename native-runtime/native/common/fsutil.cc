#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd.h"

bool mkdir_all(const char *path, mode_t mode, Error *e) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return fail(e, "mkdir", ENAMETOOLONG, "%s", path);
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p != 0) continue;
    char saved = *p;
    *p = 0;
    if (mkdir(buf, mode) < 0 && errno != EEXIST) return fail(e, "mkdir", errno, "mkdir %s", buf);
    *p = saved;
    if (saved == 0) return true;
  }
}

bool write_all(int fd, const void *buf, size_t len) {
  const char *p = (const char *)buf;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    len -= (size_t)w;
  }
  return true;
}

// Temp file + rename, without fsync: readers never see a torn file, and neither file written this way
// needs to survive a power loss (the pid file is on tmpfs; a lost exit.json reads as "the shim vanished",
// which is what a reboot means anyway). An fsync here cost 1-5 ms on every container exit.
bool write_file_atomic(const char *path, const char *data, size_t len, Error *e) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  Fd fd(open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.ok()) return fail(e, "write", errno, "open %s", tmp);
  if (!write_all(fd.get(), data, len)) {
    int err = errno;
    unlink(tmp);
    return fail(e, "write", err, "write %s", tmp);
  }
  fd.reset();
  if (rename(tmp, path) < 0) {
    int err = errno;
    unlink(tmp);
    return fail(e, "write", err, "rename %s", path);
  }
  return true;
}

bool send_fd(int sock, int fd, const char *stage, const char *what, Error *e) {
  char byte = 'f';
  iovec iov{&byte, 1};
  char ctrl[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1) return fail(e, stage, errno, "send %s", what);
  return true;
}

int receive_fd(int sock, const char *stage, const char *what, Error *e) {
  char byte;
  iovec iov{&byte, 1};
  char ctrl[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  ssize_t r;
  do r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0) return fail(e, stage, errno, "receive %s", what), -1;
  if (r == 0) return -1;
  cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  if (!cm || cm->cmsg_type != SCM_RIGHTS) return fail(e, stage, EPROTO, "no %s in message", what), -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return fd;
}
