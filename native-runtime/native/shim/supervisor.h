// The shim's life after the container started: copy output into the log, reap, write exit.json.
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "logger.h"

struct Supervised {
  pid_t init_pid;
  int sigchld_fd;  // signalfd for SIGCHLD
  int stdout_rd;   // -1 when unused
  int stderr_rd;
  int pty_master;  // output of a terminal is logged as stdout
  uint64_t oom_kills_at_start;
  timespec started;
};

// Runs until the init is reaped and the streams are drained; writes exit.json. Returns false only if
// exit.json could not be written.
bool supervise(const ShimConfig &c, Logger *log, const Supervised &s, Error *e);

// RFC 3339 UTC with nanoseconds, as Docker prints StartedAt/FinishedAt.
void format_time(const timespec &ts, char *out, size_t cap);
