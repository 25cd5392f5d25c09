// The shim's life after the process started: copy output into the log and to attach clients, reap,
// write the exit file, tell attach clients the exit code.
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "attach.h"
#include "event_loop.h"
#include "logger.h"

struct Supervised {
  pid_t init_pid;
  int sigchld_fd;  // signalfd for SIGCHLD
  int stdout_rd;   // -1 when unused
  int stderr_rd;
  int pty_master;  // output of a terminal is stdout; with openStdin it is also the process's input
  uint64_t oom_kills_at_start;
  timespec started;
  EventLoop *loop;        // shared with the attach server and the port proxy
  Logger *log;            // null in exec mode: output goes to attach clients only
  AttachServer *attach;   // null without attachSocket
  const char *exit_file;
  const char *const *cgroups;  // for oomKilled (run mode); exec passes none
  int ncgroups;
  bool run_mode;          // exit.json carries oomKilled and logDropped
  const Error *late_error;  // exec failed after the status line went out: shown on stderr
};

// Runs until the process is reaped and the streams are drained; writes the exit file, then sends the
// exit code to attach clients. Returns false only if the exit file could not be written.
bool supervise(const Supervised &s, Error *e);

// RFC 3339 UTC with nanoseconds, as Docker prints StartedAt/FinishedAt.
void format_time(const timespec &ts, char *out, size_t cap);
