// What run and exec mode share around the fork: the status line, daemonizing, the pipes between the
// shim and the process, and the steps between releasing the process and "exec succeeded".
#pragma once

#include <sys/types.h>

#include "attach.h"
#include "config.h"
#include "error.h"
#include "event_loop.h"
#include "fd.h"
#include "process.h"

const int kStatusFd = 3;

void report_error(int status_fd, const Error &e);
// {"ok":true,"shimPid":N,"pid":N<extra>}; extra is either empty or starts with a comma.
void report_ok(int status_fd, pid_t shim, pid_t pid, const char *extra);

// Forks; the spawner reaps the first process at once, the grandchild returns as the shim: its own
// session, a child subreaper, SIGPIPE ignored, SIGCHLD blocked for a signalfd.
bool daemonize(Error *e);

struct Launch {
  Fd sync_wr, error_rd, stdout_rd, stderr_rd, pty_sock, stdin_wr, ready_rd, go_wr, sigchld;
  pid_t pid = -1;
  ContainerFds child{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1};  // closed in the shim after the fork
};

// Creates the pipes for process p (and the waitForAttach pair when wait is set), and the signalfd.
bool launch_prepare(const ProcessSpec &p, bool wait, Launch *l, Error *e);
void launch_close_child_ends(Launch *l);

struct LaunchResult {
  Fd master;          // the pty master when terminal
  bool reported;      // the ok status line went out (waitForAttach reports before exec)
  Error late;         // exec failed after the status line (late.stage[0] != 0)
};

// After the cgroups are joined: releases the process, with waitForAttach reports ok ("extra" added)
// and serves attach until a client is there, then collects the pty master and the exec report.
// Returns false when starting failed before any status line (e says why).
bool launch_complete(Launch *l, const ProcessSpec &p, bool wait, int status_fd, pid_t shim, const char *extra,
                     EventLoop *loop, AttachServer *attach, LaunchResult *r, Error *e);

void kill_and_reap(pid_t pid);
