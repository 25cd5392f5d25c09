#include "cgroups_join.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd.h"

static bool has_tasks_file(const char *dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/tasks", dir);
  return access(path, F_OK) == 0;
}

bool cgroups_join_self(const char *const *dirs, int n, Error *e) {
  char path[4096];
  for (int i = 0; i < n; i++) {
    if (!has_tasks_file(dirs[i])) continue;
    snprintf(path, sizeof path, "%s/tasks", dirs[i]);
    Fd fd(open(path, O_WRONLY | O_CLOEXEC));
    if (!fd.ok()) return fail(e, "cgroups", errno, "open %s", path);
    if (write(fd.get(), "0", 1) != 1) return fail(e, "cgroups", errno, "write %s", path);
  }
  return true;
}

bool cgroups_join(const char *const *dirs, int n, pid_t pid, Error *e) {
  char path[4096], buf[32];
  int len = snprintf(buf, sizeof buf, "%d\n", (int)pid);
  for (int i = 0; i < n; i++) {
    if (has_tasks_file(dirs[i])) continue;  // the process joins these itself (cgroups_join_self)
    snprintf(path, sizeof path, "%s/cgroup.procs", dirs[i]);
    Fd fd(open(path, O_WRONLY | O_CLOEXEC));
    if (!fd.ok()) return fail(e, "cgroups", errno, "open %s", path);
    if (write(fd.get(), buf, (size_t)len) != len) return fail(e, "cgroups", errno, "write %s", path);
  }
  return true;
}

// Finds "oom_kill N" in a flat keyed file.
static uint64_t read_oom_kill(const char *path) {
  Fd fd(open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) return 0;
  char buf[1024];
  ssize_t r = read(fd.get(), buf, sizeof buf - 1);
  if (r <= 0) return 0;
  buf[r] = 0;
  for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : nullptr)
    if (strncmp(line, "oom_kill ", 9) == 0) return strtoull(line + 9, nullptr, 10);
  return 0;
}

uint64_t cgroups_oom_kills(const char *const *dirs, int n) {
  char path[4096];
  uint64_t total = 0;
  for (int i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/memory.oom_control", dirs[i]);
    total += read_oom_kill(path);
    snprintf(path, sizeof path, "%s/memory.events", dirs[i]);
    total += read_oom_kill(path);
  }
  return total;
}
