#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "fd.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

bool terminal_setup_in_container(int sock, int rows, int cols, Error *e) {
  Fd master(open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master.ok()) return fail(e, "terminal", errno, "open /dev/ptmx");
  int unlock = 0;
  if (ioctl(master.get(), TIOCSPTLCK, &unlock) < 0) return fail(e, "terminal", errno, "unlock pty");
  // TIOCGPTPEER opens the slave through the master, without a path lookup that could be raced.
  Fd slave(ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY));
  if (!slave.ok()) return fail(e, "terminal", errno, "open pty slave");
  // Set before exec, so the process's first look at its window size is already right.
  winsize ws{(unsigned short)rows, (unsigned short)cols, 0, 0};
  if (rows > 0 && cols > 0 && ioctl(master.get(), TIOCSWINSZ, &ws) < 0) return fail(e, "terminal", errno, "set window size");

  char byte = 0;
  iovec iov{&byte, 1};
  char ctrl[CMSG_SPACE(sizeof(int))];
  memset(ctrl, 0, sizeof ctrl);
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  int mfd = master.get();
  memcpy(CMSG_DATA(cm), &mfd, sizeof mfd);
  if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) return fail(e, "terminal", errno, "send pty master to the shim");
  master.reset();

  if (setsid() < 0 && errno != EPERM) return fail(e, "terminal", errno, "setsid");
  if (ioctl(slave.get(), TIOCSCTTY, 0) < 0) return fail(e, "terminal", errno, "set controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave.get(), fd) < 0) return fail(e, "terminal", errno, "dup2 pty slave");
  return true;
}

int terminal_receive_master(int sock, Error *e) {
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
  if (r < 0) { fail(e, "terminal", errno, "receive pty master"); return -1; }
  if (r == 0) return -1;
  cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  if (!cm || cm->cmsg_type != SCM_RIGHTS) { fail(e, "terminal", EPROTO, "no pty master in message"); return -1; }
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return fd;
}
