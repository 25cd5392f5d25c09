#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

// Writes pid into <dir>/cgroup.procs for every dir that cgroups_join_self leaves alone (no tasks file: v2).
bool cgroups_join(const char *const *dirs, int n, pid_t pid, Error *e);

// Moves the calling thread into every v1 dir (those with a tasks file) by writing "0" to <dir>/tasks.
// A task moving itself skips the kernel's global threadgroup lock, whose first use waits for an RCU
// grace period (8-12 ms here, more under load); a move by another process cannot skip it. Call it
// only while single-threaded, so moving the thread moves the whole process.
bool cgroups_join_self(const char *const *dirs, int n, Error *e);

// Sum of OOM kills recorded in the memory cgroups among dirs (v1 memory.oom_control, v2 memory.events).
uint64_t cgroups_oom_kills(const char *const *dirs, int n);
