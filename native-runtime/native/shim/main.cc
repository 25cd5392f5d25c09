// berth-shim: starts one container and owns it until it exits (docs/runtime.md, "Shim protocol").
//
//   berth-shim run <shim.json>          fd 3: status pipe, one JSON line
//   berth-shim mount-overlay <json>     mounts an overlay for the addon, chdir-ing in its own process
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroups_join.h"
#include "config.h"
#include "fd.h"
#include "fsutil.h"
#include "json.h"
#include "logger.h"
#include "namespaces.h"
#include "overlay.h"
#include "process.h"
#include "supervisor.h"
#include "terminal.h"

namespace {

const int kStatusFd = 3;

void report_error(int status_fd, const Error &e) {
  char msg[1200], line[1400];
  json_quote(msg, sizeof msg, e.message);
  char stage[64];
  json_quote(stage, sizeof stage, e.stage);
  int n = snprintf(line, sizeof line, "{\"ok\":false,\"errno\":%d,\"stage\":%s,\"message\":%s}\n", e.err, stage, msg);
  if (status_fd < 0 || !write_all(status_fd, line, (size_t)n)) write_all(2, line, (size_t)n);
}

void report_ok(int status_fd, pid_t shim, pid_t init) {
  char line[128];
  int n = snprintf(line, sizeof line, "{\"ok\":true,\"shimPid\":%d,\"pid\":%d}\n", (int)shim, (int)init);
  if (status_fd >= 0) write_all(status_fd, line, (size_t)n);
}

bool make_pipe(int fds[2], Error *e) {
  if (pipe2(fds, O_CLOEXEC) < 0) return fail(e, "pipe", errno, "pipe2");
  return true;
}

// <dir of pidFile>/rootfs: the overlay's mount point, only ever mounted inside the container's mount ns.
void rootfs_dir(const ShimConfig &c, char *out, size_t cap) {
  snprintf(out, cap, "%s", c.pid_file);
  char *slash = strrchr(out, '/');
  snprintf(slash ? slash + 1 : out, cap - (size_t)(slash ? slash + 1 - out : 0), "rootfs");
}

struct Startup {
  Fd sync_wr, error_rd, stdout_rd, stderr_rd, pty_sock, sigchld;
  pid_t init_pid = -1;
};

// Everything from clone to "exec succeeded". On failure the container (if any) is killed and reaped.
bool start_container(const ShimConfig &c, const char *rootfs, Startup *st, Error *e) {
  int sync[2], err[2], out[2] = {-1, -1}, errp[2] = {-1, -1}, pty[2] = {-1, -1};
  if (!make_pipe(sync, e) || !make_pipe(err, e)) return false;
  st->sync_wr.reset(sync[1]);
  st->error_rd.reset(err[0]);
  if (c.process.terminal) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pty) < 0) return fail(e, "terminal", errno, "socketpair");
    st->pty_sock.reset(pty[0]);
  } else {
    if (!make_pipe(out, e) || !make_pipe(errp, e)) return false;
    st->stdout_rd.reset(out[0]);
    st->stderr_rd.reset(errp[0]);
  }
  Fd netns(namespaces_open_net(c, e));
  if (!netns.ok() && c.net[0] == '/') return false;

  pid_t pid = namespaces_clone(c, e);
  if (pid < 0) return false;
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    close(kStatusFd);
    ContainerFds f{sync[0], err[1], out[1], errp[1], pty[1], netns.get()};
    container_main(c, rootfs, f);
  }
  st->init_pid = pid;
  const int child_ends[] = {sync[0], err[1], out[1], errp[1], pty[1]};
  for (int fd : child_ends)
    if (fd >= 0) close(fd);
  return true;
}

void kill_and_reap(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

int shim_run(const char *config_path) {
  int status_fd = fcntl(kStatusFd, F_SETFD, FD_CLOEXEC) == 0 ? kStatusFd : -1;
  Error e{};
  static ShimConfig c;
  if (!config_load(config_path, &c, &e)) {
    report_error(status_fd, e);
    return 1;
  }

  // The spawner reaps this first process at once; the grandchild becomes the shim, in its own
  // session, and adopts anything orphaned below it.
  pid_t first = fork();
  if (first < 0) {
    fail(&e, "fork", errno, "fork");
    report_error(status_fd, e);
    return 1;
  }
  if (first > 0) _exit(0);
  setsid();
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN);  // the spawner may close our stderr when it goes away
  pid_t shim_pid = getpid();

  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, nullptr);

  char rootfs[4096];
  rootfs_dir(c, rootfs, sizeof rootfs);
  static Logger log;
  Startup st;
  st.sigchld.reset(signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  bool ok = st.sigchld.ok() || fail(&e, "signalfd", errno, "signalfd");
  ok = ok && log.open(c.log_path, c.log_max_size, c.log_max_files, &e);
  ok = ok && start_container(c, rootfs, &st, &e);
  ok = ok && cgroups_join(c.cgroups, c.ncgroups, st.init_pid, &e);
  uint64_t oom_base = ok ? cgroups_oom_kills(c.cgroups, c.ncgroups) : 0;
  if (ok) {
    char pids[64];
    int n = snprintf(pids, sizeof pids, "%d %d\n", (int)shim_pid, (int)st.init_pid);
    ok = write_file_atomic(c.pid_file, pids, (size_t)n, &e);
  }
  ok = ok && (write(st.sync_wr.get(), "1", 1) == 1 || fail(&e, "sync", errno, "release the container"));
  st.sync_wr.reset();

  Fd master;
  if (ok && c.process.terminal) {
    master.reset(terminal_receive_master(st.pty_sock.get(), &e));
    st.pty_sock.reset();
  }
  if (ok) {
    // The container reports a failure as an Error record; EOF means execve succeeded (CLOEXEC).
    Error child{};
    ssize_t r;
    do r = read(st.error_rd.get(), &child, sizeof child);
    while (r < 0 && errno == EINTR);
    if (r == (ssize_t)sizeof child) {
      e = child;  // the container's own report is the most precise one
      ok = false;
    } else if (r != 0) {
      ok = fail(&e, "start", r < 0 ? errno : EPROTO, "reading the container's start report");
    } else if (c.process.terminal && !master.ok()) {
      ok = e.stage[0] ? false : fail(&e, "terminal", EPROTO, "no pty master received");
    }
  }
  if (!ok) {
    kill_and_reap(st.init_pid);
    if (st.init_pid > 0) unlink(c.pid_file);
    rmdir(rootfs);
    report_error(status_fd, e);
    return 1;
  }

  Supervised s{st.init_pid, st.sigchld.get(), st.stdout_rd.release(), st.stderr_rd.release(), master.release(), oom_base, {}};
  clock_gettime(CLOCK_REALTIME, &s.started);
  report_ok(status_fd, shim_pid, st.init_pid);
  if (status_fd >= 0) close(status_fd);

  int rc = supervise(c, &log, s, &e) ? 0 : 1;
  if (rc) write_all(2, e.message, strlen(e.message));
  unlink(c.pid_file);
  rmdir(rootfs);
  return rc;
}

// mount-overlay {"cwd":…,"lower":[…],"upper":…,"work":…,"target":"/abs","readonly":bool}
int mount_overlay_main(const char *json) {
  Error e{};
  JsonNode *root = json_parse(json, strlen(json), &e);
  OverlaySpec spec{};
  const char *target = nullptr;
  bool readonly = false;
  bool ok = root && json_string(root, "cwd", true, &spec.cwd, &e) &&
            json_string_array(root, "lower", true, &spec.lower, &spec.nlower, &e) &&
            json_string(root, "upper", false, &spec.upper, &e) && json_string(root, "work", false, &spec.work, &e) &&
            json_string(root, "target", true, &target, &e) && json_bool(root, "readonly", &readonly, &e);
  if (ok && target[0] != '/') ok = fail(&e, "config", EINVAL, "target must be absolute");
  ok = ok && overlay_mount(spec, target, readonly, &e);
  if (ok) return 0;
  char msg[1200], line[1300];
  json_quote(msg, sizeof msg, e.message);
  int n = snprintf(line, sizeof line, "{\"errno\":%d,\"message\":%s}\n", e.err, msg);
  write_all(1, line, (size_t)n);
  return 1;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "run") == 0) return shim_run(argv[2]);
  if (argc == 3 && strcmp(argv[1], "mount-overlay") == 0) return mount_overlay_main(argv[2]);
  static const char usage[] = "usage: berth-shim run <shim.json> | berth-shim mount-overlay <json>\n";
  write_all(2, usage, sizeof usage - 1);
  return 2;
}
