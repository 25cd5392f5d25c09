#include "supervisor.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups_join.h"
#include "fsutil.h"

namespace {

// One static buffer: the shim stays small however much the container writes.
char g_buf[64 * 1024];

struct State {
  const Supervised *s;
  int open_streams = 0;
  bool exited = false;
  int status = 0;
};

void output(State *st, FrameKind kind, const char *data, size_t len) {
  if (st->s->log) st->s->log->write(kind == FRAME_STDERR ? LOG_STDERR : LOG_STDOUT, data, len);
  if (st->s->attach) st->s->attach->broadcast(kind, data, len);
}

void on_stream(void *ctx, int fd, short revents) {
  State *st = (State *)ctx;
  const Supervised *s = st->s;
  // The pty master is also the process's stdin: the attach server writes to it when it may.
  if ((revents & POLLOUT) && fd == s->pty_master && s->attach) s->attach->on_stdin_writable();
  if (!(revents & (POLLIN | POLLHUP | POLLERR))) return;
  ssize_t r = read(fd, g_buf, sizeof g_buf);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (r <= 0) {  // EOF, or EIO on a pty master once every slave is closed
    if (fd == s->pty_master && s->attach) s->attach->stdio_closed();
    s->loop->remove(fd);
    close(fd);
    st->open_streams--;
    return;
  }
  output(st, fd == s->stderr_rd ? FRAME_STDERR : FRAME_STDOUT, g_buf, (size_t)r);
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
    st->s->loop->remove(fd);
  }
}

}  // namespace

void format_time(const timespec &ts, char *out, size_t cap) {
  tm t;
  gmtime_r(&ts.tv_sec, &t);
  size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &t);
  snprintf(out + n, cap - n, ".%09ldZ", ts.tv_nsec);
}

bool supervise(const Supervised &s, Error *e) {
  static State st;
  st.s = &s;
  if (s.late_error) {
    char msg[700];
    int n = snprintf(msg, sizeof msg, "berth-shim: %s\n", s.late_error->message);
    output(&st, FRAME_STDERR, msg, (size_t)n);
  }
  s.loop->add(s.sigchld_fd, on_sigchld, &st);
  const int streams[] = {s.stdout_rd, s.stderr_rd, s.pty_master};
  for (int fd : streams) {
    if (fd < 0) continue;
    s.loop->add(fd, on_stream, &st);
    st.open_streams++;
  }
  if (s.attach) s.attach->on_stdin_writable();  // input queued before the master was registered

  // When the init of a pid namespace dies the kernel kills the rest, so the streams reach EOF soon
  // after; the timeout only guards against a writer we cannot see (an exec'd process's children).
  int idle_after_exit = 0;
  while (!st.exited || (st.open_streams > 0 && idle_after_exit < 20)) {
    int n = s.loop->run_once(st.exited ? 100 : -1);
    if (st.exited && n == 0) idle_after_exit++;
  }
  if (s.log) s.log->close();

  timespec finished;
  clock_gettime(CLOCK_REALTIME, &finished);
  int code = 0, sig = 0;
  if (WIFEXITED(st.status)) code = WEXITSTATUS(st.status);
  else if (WIFSIGNALED(st.status)) sig = WTERMSIG(st.status), code = 128 + sig;

  char started_s[48], finished_s[48], json[512];
  format_time(s.started, started_s, sizeof started_s);
  format_time(finished, finished_s, sizeof finished_s);
  int n;
  if (s.run_mode) {
    bool oom = cgroups_oom_kills(s.cgroups, s.ncgroups) > s.oom_kills_at_start;
    n = snprintf(json, sizeof json,
                 "{\"exitCode\":%d,\"signal\":%d,\"oomKilled\":%s,\"startedAt\":\"%s\",\"finishedAt\":\"%s\",\"logDropped\":%llu}\n",
                 code, sig, oom ? "true" : "false", started_s, finished_s, (unsigned long long)s.log->dropped());
  } else {
    n = snprintf(json, sizeof json, "{\"exitCode\":%d,\"signal\":%d,\"startedAt\":\"%s\",\"finishedAt\":\"%s\"}\n", code, sig,
                 started_s, finished_s);
  }
  bool ok = write_file_atomic(s.exit_file, json, (size_t)n, e);
  // After exit.json, so a client that sees the exit frame can read the file.
  if (s.attach) s.attach->finish(code, 2000);
  return ok;
}
