#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "fd.h"
#include "fsutil.h"

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

  if (!send_fd(sock, master.get(), "terminal", "the pty master to the shim", e)) return false;
  master.reset();

  if (setsid() < 0 && errno != EPERM) return fail(e, "terminal", errno, "setsid");
  if (ioctl(slave.get(), TIOCSCTTY, 0) < 0) return fail(e, "terminal", errno, "set controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave.get(), fd) < 0) return fail(e, "terminal", errno, "dup2 pty slave");
  return true;
}

int terminal_receive_master(int sock, Error *e) { return receive_fd(sock, "terminal", "pty master", e); }
