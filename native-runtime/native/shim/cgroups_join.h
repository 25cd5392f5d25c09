#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

// Writes pid into <dir>/cgroup.procs for every dir.
bool cgroups_join(const char *const *dirs, int n, pid_t pid, Error *e);

// Sum of OOM kills recorded in the memory cgroups among dirs (v1 memory.oom_control, v2 memory.events).
uint64_t cgroups_oom_kills(const char *const *dirs, int n);
