#include "supervisor.h"

#include <errno.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups_join.h"
#include "event_loop.h"
#include "fsutil.h"

namespace {

// One static buffer: the shim stays small however much the container writes.
char g_buf[64 * 1024];

struct State {
  EventLoop loop;
  Logger *log;
  const Supervised *s;
  bool exited = false;
  int status = 0;
};

void on_stream(void *ctx, int fd, short) {
  State *st = (State *)ctx;
  ssize_t r = read(fd, g_buf, sizeof g_buf);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (r <= 0) {  // EOF, or EIO on a pty master once every slave is closed
    st->loop.remove(fd);
    close(fd);
    return;
  }
  st->log->write(fd == st->s->stderr_rd ? LOG_STDERR : LOG_STDOUT, g_buf, (size_t)r);
}

void on_sigchld(void *ctx, int fd, short) {
  State *st = (State *)ctx;
  signalfd_siginfo info;
  while (read(fd, &info, sizeof info) == (ssize_t)sizeof info) {
  }
  // As a subreaper we may inherit other orphans: reap them all, remember the init's status.
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    if (pid != st->s->init_pid) continue;
    st->exited = true;
    st->status = status;
    st->loop.remove(fd);
  }
}

}  // namespace

void format_time(const timespec &ts, char *out, size_t cap) {
  tm t;
  gmtime_r(&ts.tv_sec, &t);
  size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &t);
  snprintf(out + n, cap - n, ".%09ldZ", ts.tv_nsec);
}

bool supervise(const ShimConfig &c, Logger *log, const Supervised &s, Error *e) {
  static State st;
  st.log = log;
  st.s = &s;
  st.loop.add(s.sigchld_fd, on_sigchld, &st);
  const int streams[] = {s.stdout_rd, s.stderr_rd, s.pty_master};
  for (int fd : streams)
    if (fd >= 0) st.loop.add(fd, on_stream, &st);

  // When the init of a pid namespace dies the kernel kills the rest, so the streams reach EOF soon
  // after; the timeout only guards against a writer we cannot see.
  int idle_after_exit = 0;
  while (!st.exited || (st.loop.size() > 0 && idle_after_exit < 20)) {
    int n = st.loop.run_once(st.exited ? 100 : -1);
    if (st.exited && n == 0) idle_after_exit++;
  }
  log->close();

  timespec finished;
  clock_gettime(CLOCK_REALTIME, &finished);
  int code = 0, sig = 0;
  if (WIFEXITED(st.status)) code = WEXITSTATUS(st.status);
  else if (WIFSIGNALED(st.status)) sig = WTERMSIG(st.status), code = 128 + sig;
  bool oom = cgroups_oom_kills(c.cgroups, c.ncgroups) > s.oom_kills_at_start;

  char started_s[48], finished_s[48], json[512];
  format_time(s.started, started_s, sizeof started_s);
  format_time(finished, finished_s, sizeof finished_s);
  int n = snprintf(json, sizeof json,
                   "{\"exitCode\":%d,\"signal\":%d,\"oomKilled\":%s,\"startedAt\":\"%s\",\"finishedAt\":\"%s\",\"logDropped\":%llu}\n",
                   code, sig, oom ? "true" : "false", started_s, finished_s, (unsigned long long)log->dropped());
  return write_file_atomic(c.exit_file, json, (size_t)n, e);
}
