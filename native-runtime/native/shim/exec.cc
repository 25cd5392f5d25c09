// Exec mode: the process joins the namespaces of the container's init (/proc/<pid>/ns/*), its cgroups
// and its root, then drops privileges exactly as the container's process did.
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "cgroups_join.h"
#include "config.h"
#include "event_loop.h"
#include "fd.h"
#include "fsutil.h"
#include "launch.h"
#include "process.h"
#include "supervisor.h"

namespace {

struct Namespace {
  const char *name;
  int flag;
};
// Joined in this order: user first (the others then belong to it and its capabilities reach them),
// mnt last among the child's, since it changes what paths mean.
const Namespace kNamespaces[] = {
    {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS},
};

struct Target {
  Fd ns[sizeof kNamespaces / sizeof kNamespaces[0]];
  Fd pid_ns;
  Fd root;  // the container's root directory, entered after setns(mnt)
};

bool wanted(const ExecConfig &c, const char *name) {
  for (int i = 0; i < c.nnamespaces; i++)
    if (strcmp(c.namespaces[i], name) == 0) return true;
  return false;
}

// Opens everything of the target in the host's view, before the process leaves it.
bool open_target(const ExecConfig &c, Target *t, Error *e) {
  for (int i = 0; i < c.nnamespaces; i++) {
    bool known = strcmp(c.namespaces[i], "pid") == 0;
    for (const Namespace &n : kNamespaces) known = known || strcmp(c.namespaces[i], n.name) == 0;
    if (!known) return fail(e, "config", EINVAL, "unknown namespace \"%s\"", c.namespaces[i]);
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/root", c.pid);
  // A zombie still has /proc/<pid> but no namespaces to join: check both.
  t->root.reset(open(path, O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!t->root.ok()) {
    int err = errno;
    return fail(e, "exec", err == ENOENT || err == ESRCH ? ESRCH : err, "container process %d is not running", c.pid);
  }
  for (size_t i = 0; i < sizeof kNamespaces / sizeof kNamespaces[0]; i++) {
    if (!wanted(c, kNamespaces[i].name)) continue;
    snprintf(path, sizeof path, "/proc/%d/ns/%s", c.pid, kNamespaces[i].name);
    t->ns[i].reset(open(path, O_RDONLY | O_CLOEXEC));
    if (!t->ns[i].ok()) {
      int err = errno;
      if (err == ENOENT || err == ESRCH) return fail(e, "exec", ESRCH, "container process %d is not running", c.pid);
      return fail(e, "namespaces", err, "open %s", path);
    }
    // One the shim is in already (e.g. the host's cgroup namespace on v1) is not joined: from inside a
    // user namespace that does not own it, setns would be refused, and it changes nothing.
    char own[64];
    snprintf(own, sizeof own, "/proc/self/ns/%s", kNamespaces[i].name);
    struct stat a, b;
    if (stat(own, &a) == 0 && fstat(t->ns[i].get(), &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) t->ns[i].reset();
  }
  if (wanted(c, "pid")) {
    snprintf(path, sizeof path, "/proc/%d/ns/pid", c.pid);
    t->pid_ns.reset(open(path, O_RDONLY | O_CLOEXEC));
    if (!t->pid_ns.ok()) return fail(e, "exec", ESRCH, "container process %d is not running", c.pid);
  }
  return true;
}

[[noreturn]] void exec_child(const ExecConfig &c, const Target &t, const ContainerFds &f) {
  Error e{};
  char go;
  if (read(f.sync_rd, &go, 1) != 1) _exit(1);  // the shim died before releasing us
  close(f.sync_rd);
  // The cgroup paths are the host's: join before entering the container's mount namespace.
  if (!cgroups_join_self(c.cgroups, c.ncgroups, &e)) process_fail(f, e);
  for (size_t i = 0; i < sizeof kNamespaces / sizeof kNamespaces[0]; i++) {
    if (!t.ns[i].ok()) continue;
    if (setns(t.ns[i].get(), kNamespaces[i].flag) < 0) {
      fail(&e, "namespaces", errno, "join the container's %s namespace", kNamespaces[i].name);
      process_fail(f, e);
    }
  }
  // The container pivoted into its rootfs; its root directory is where paths start for us too.
  if (fchdir(t.root.get()) < 0 || chroot(".") < 0 || chdir("/") < 0) {
    fail(&e, "rootfs", errno, "enter the container's root");
    process_fail(f, e);
  }
  LaunchOptions o{c.seccomp, false, false, c.console_rows, c.console_cols, &c.seccomp_filter};
  process_launch(c.process, o, f, &e);
  process_fail(f, e);
}

}  // namespace

int shim_exec(const char *config_path) {
  int status_fd = fcntl(kStatusFd, F_SETFD, FD_CLOEXEC) == 0 ? kStatusFd : -1;
  Error e{};
  static ExecConfig c;
  static Target t;
  if (!exec_config_load(config_path, &c, &e) || !open_target(c, &t, &e) || !daemonize(&e)) {
    report_error(status_fd, e);
    return 1;
  }
  pid_t shim_pid = getpid();

  static EventLoop loop;
  static AttachServer attach;
  static Launch l;
  LaunchResult lr{};
  bool ok = (!c.attach_socket || attach.listen(c.attach_socket, &loop, &e)) && launch_prepare(c.process, c.wait_for_attach, &l, &e);
  // A new pid namespace applies to children only: the shim stays outside, its child is inside.
  if (ok && t.pid_ns.ok() && setns(t.pid_ns.get(), CLONE_NEWPID) < 0) ok = fail(&e, "namespaces", errno, "join the container's pid namespace");
  if (ok) {
    pid_t pid = fork();
    if (pid < 0) {
      // ENOMEM here means the pid namespace has no init any more.
      int err = errno;
      ok = fail(&e, "exec", err == ENOMEM ? ESRCH : err, err == ENOMEM ? "container process %d is not running" : "fork (container %d)", c.pid);
    } else if (pid == 0) {
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      close(kStatusFd);
      exec_child(c, t, l.child);
    } else {
      l.pid = pid;
      launch_close_child_ends(&l);
    }
  }
  ok = ok && cgroups_join(c.cgroups, c.ncgroups, l.pid, &e);
  if (ok && c.pid_file) {
    char pids[64];
    int n = snprintf(pids, sizeof pids, "%d %d\n", (int)shim_pid, (int)l.pid);
    ok = write_file_atomic(c.pid_file, pids, (size_t)n, &e);
  }
  if (ok && c.attach_socket) {
    if (c.process.open_stdin) attach.expect_stdin();
    if (!c.process.terminal) attach.set_stdio(l.stdin_wr.release(), -1, c.process.stdin_once);
  }
  ok = ok && launch_complete(&l, c.process, c.wait_for_attach, status_fd, shim_pid, "", &loop, &attach, &lr, &e);
  if (!ok) {
    kill_and_reap(l.pid);
    if (l.pid > 0 && c.pid_file) unlink(c.pid_file);
    if (c.attach_socket) unlink(c.attach_socket);
    report_error(status_fd, e);
    return 1;
  }
  int master = lr.master.release();
  if (c.attach_socket && c.process.terminal)
    attach.set_stdio(master >= 0 && c.process.open_stdin ? master : -1, master, c.process.stdin_once);
  Supervised s{l.pid, l.sigchld.get(), l.stdout_rd.release(), l.stderr_rd.release(), master, 0, {},
               &loop, nullptr, c.attach_socket ? &attach : nullptr, c.exit_file, nullptr, 0, false,
               lr.late.stage[0] ? &lr.late : nullptr};
  clock_gettime(CLOCK_REALTIME, &s.started);
  if (!lr.reported) report_ok(status_fd, shim_pid, l.pid, "");
  if (status_fd >= 0) close(status_fd);

  int rc = supervise(s, &e) ? 0 : 1;
  if (rc) write_all(2, e.message, strlen(e.message));
  if (c.pid_file) unlink(c.pid_file);
  return rc;
}
