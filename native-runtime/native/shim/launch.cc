#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "json.h"
#include "terminal.h"

void report_error(int status_fd, const Error &e) {
  char msg[1200], line[1400];
  json_quote(msg, sizeof msg, e.message);
  char stage[64];
  json_quote(stage, sizeof stage, e.stage);
  int n = snprintf(line, sizeof line, "{\"ok\":false,\"errno\":%d,\"stage\":%s,\"message\":%s}\n", e.err, stage, msg);
  if (status_fd < 0 || !write_all(status_fd, line, (size_t)n)) write_all(2, line, (size_t)n);
}

void report_ok(int status_fd, pid_t shim, pid_t pid, const char *extra) {
  static char line[16384];
  int n = snprintf(line, sizeof line, "{\"ok\":true,\"shimPid\":%d,\"pid\":%d%s}\n", (int)shim, (int)pid, extra);
  if (status_fd >= 0 && n > 0 && (size_t)n < sizeof line) write_all(status_fd, line, (size_t)n);
}

bool daemonize(Error *e) {
  pid_t first = fork();
  if (first < 0) return fail(e, "fork", errno, "fork");
  if (first > 0) _exit(0);
  setsid();
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN);  // the spawner may close our stderr when it goes away; clients vanish
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, nullptr);
  return true;
}

static bool make_pipe(int fds[2], Error *e) {
  if (pipe2(fds, O_CLOEXEC) < 0) return fail(e, "pipe", errno, "pipe2");
  return true;
}

bool launch_prepare(const ProcessSpec &p, bool wait, Launch *l, Error *e) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  l->sigchld.reset(signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!l->sigchld.ok()) return fail(e, "signalfd", errno, "signalfd");
  int sync[2], err[2];
  if (!make_pipe(sync, e)) return false;
  l->sync_wr.reset(sync[1]);
  l->child.sync_rd = sync[0];
  if (!make_pipe(err, e)) return false;
  l->error_rd.reset(err[0]);
  l->child.error_wr = err[1];
  if (p.terminal) {
    int pty[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pty) < 0) return fail(e, "terminal", errno, "socketpair");
    l->pty_sock.reset(pty[0]);
    l->child.pty_sock = pty[1];
  } else {
    int out[2], errp[2];
    if (!make_pipe(out, e)) return false;
    l->stdout_rd.reset(out[0]);
    l->child.stdout_wr = out[1];
    if (!make_pipe(errp, e)) return false;
    l->stderr_rd.reset(errp[0]);
    l->child.stderr_wr = errp[1];
    if (p.open_stdin) {
      int in[2];
      if (!make_pipe(in, e)) return false;
      l->stdin_wr.reset(in[1]);
      l->child.stdin_rd = in[0];
    }
  }
  if (wait) {
    int ready[2], go[2];
    if (!make_pipe(ready, e)) return false;
    l->ready_rd.reset(ready[0]);
    l->child.ready_wr = ready[1];
    if (!make_pipe(go, e)) return false;
    l->go_wr.reset(go[1]);
    l->child.go_rd = go[0];
  }
  return true;
}

void launch_close_child_ends(Launch *l) {
  int *ends[] = {&l->child.sync_rd, &l->child.error_wr, &l->child.stdout_wr, &l->child.stderr_wr,
                 &l->child.pty_sock, &l->child.stdin_rd, &l->child.ready_wr, &l->child.go_rd, &l->child.rootfs_sock};
  for (int *fd : ends) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

// Reads the process's start report: EOF means execve succeeded (the pipe is CLOEXEC).
static bool read_report(int fd, Error *e) {
  Error child{};
  ssize_t r;
  do r = read(fd, &child, sizeof child);
  while (r < 0 && errno == EINTR);
  if (r == 0) return true;
  if (r == (ssize_t)sizeof child) {
    *e = child;  // the process's own report is the most precise one
    return false;
  }
  return fail(e, "start", r < 0 ? errno : EPROTO, "reading the process's start report");
}

static void on_go_hangup(void *ctx, int, short) { *(bool *)ctx = true; }

bool launch_complete(Launch *l, const ProcessSpec &p, bool wait, int status_fd, pid_t shim, const char *extra,
                     EventLoop *loop, AttachServer *attach, LaunchResult *r, Error *e) {
  r->reported = false;
  if (write(l->sync_wr.get(), "1", 1) != 1) return fail(e, "sync", errno, "release the process");
  l->sync_wr.reset();

  if (wait) {
    char byte;
    ssize_t n;
    do n = read(l->ready_rd.get(), &byte, 1);
    while (n < 0 && errno == EINTR);
    l->ready_rd.reset();
    if (n != 1) {  // it failed during setup: its report is on the error pipe
      if (read_report(l->error_rd.get(), e)) fail(e, "start", EPROTO, "the process exited during setup");
      return false;
    }
    char waiting[16384];
    snprintf(waiting, sizeof waiting, "%s,\"waitingForAttach\":true", extra);
    report_ok(status_fd, shim, l->pid, waiting);
    r->reported = true;
    // Serve attach until the first client is in; the read end of "go" closing means the process died.
    bool dead = false;
    loop->add(l->go_wr.get(), on_go_hangup, &dead, 0);
    while (!attach->attached() && !dead) loop->run_once(-1);
    loop->remove(l->go_wr.get());
    if (dead) return true;  // killed while waiting: the supervisor reaps it and records how
    if (write(l->go_wr.get(), "g", 1) < 0) return true;
    l->go_wr.reset();
  }

  if (p.terminal) {
    r->master.reset(terminal_receive_master(l->pty_sock.get(), e));
    l->pty_sock.reset();
  }
  Error report{};
  bool ok = read_report(l->error_rd.get(), &report);
  l->error_rd.reset();
  if (ok && p.terminal && !r->master.ok())
    ok = e->stage[0] ? (report = *e, false) : fail(&report, "terminal", EPROTO, "no pty master received");
  if (ok) return true;
  if (!r->reported) return *e = report, false;
  r->late = report;  // the status line already said ok: the error becomes the process's output
  return true;
}

void kill_and_reap(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}
