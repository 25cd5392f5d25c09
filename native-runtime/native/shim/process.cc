#include "process.h"

#include <alloca.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capabilities.h"
#include "cgroups_join.h"
#include "fsutil.h"
#include "init.h"
#include "namespaces.h"
#include "network.h"
#include "rootfs.h"
#include "seccomp.h"
#include "terminal.h"

namespace {

const char *const kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool set_rlimits(const ProcessSpec &p, Error *e) {
  for (int i = 0; i < p.nrlimits; i++) {
    const RlimitSpec &r = p.rlimits[i];
    rlimit cur;
    if (getrlimit(r.resource, &cur) < 0) return fail(e, "rlimits", errno, "getrlimit %d", r.resource);
    // Raising a hard limit needs CAP_SYS_RESOURCE, which Berth does not have: clamp to what we hold.
    rlimit want{(rlim_t)r.soft, (rlim_t)r.hard};
    if (cur.rlim_max != RLIM_INFINITY && (want.rlim_max == RLIM_INFINITY || want.rlim_max > cur.rlim_max))
      want.rlim_max = cur.rlim_max;
    if (want.rlim_cur > want.rlim_max) want.rlim_cur = want.rlim_max;
    if (setrlimit(r.resource, &want) < 0) return fail(e, "rlimits", errno, "setrlimit %d", r.resource);
  }
  return true;
}

bool switch_user(const ProcessSpec &p, Error *e) {
  // KEEPCAPS keeps the permitted set across setuid; capabilities_apply then trims it to the list.
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return fail(e, "user", errno, "PR_SET_KEEPCAPS");
  if (setgroups((size_t)p.ngids, p.additional_gids) < 0) return fail(e, "user", errno, "setgroups");
  if (setgid(p.gid) < 0) return fail(e, "user", errno, "setgid %u", p.gid);
  if (setuid(p.uid) < 0) return fail(e, "user", errno, "setuid %u", p.uid);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return fail(e, "user", errno, "PR_SET_KEEPCAPS");
  return true;
}

const char *env_path(const ProcessSpec &p) {
  for (int i = 0; i < p.nenv; i++)
    if (strncmp(p.env[i], "PATH=", 5) == 0) return p.env[i] + 5;
  return kDefaultPath;
}

// Ignored signals survive execve, and Node (so the shim) ignores SIGPIPE: without this, `yes | head` in a
// container would spin forever. The process starts as runc starts it: default dispositions, nothing blocked.
// The raw syscall, because glibc's sigaction refuses its two internal signals (32, 33), which posix_spawn
// hands to the shim ignored.
static void reset_signals() {
  struct {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    uint64_t mask;
  } dfl = {SIG_DFL, 0, nullptr, 0};
  for (int sig = 1; sig <= 64; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof dfl.mask);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

// runc's wording, lower case: the docker CLI maps "no such file or directory" to exit 127 and
// "permission denied" to 126, and dockerd's start error carries these texts.
static bool exec_failed(Error *e, const char *file, int err) {
  if (err == ENOENT) return fail(e, "exec", err, "exec: \"%s\": stat %s: no such file or directory", file, file);
  if (err == EACCES) return fail(e, "exec", err, "exec: \"%s\": permission denied", file);
  return fail(e, "exec", err, "exec %s", file);
}

// As Go's exec.LookPath (runc's check): a directory is never executable, even with its x bits.
static int executable(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) return errno;
  if (S_ISDIR(st.st_mode)) return EACCES;
  return access(path, X_OK) == 0 ? 0 : errno;
}

// execvpe would search the shim's PATH; the container's PATH comes from its own env.
bool exec_process(const ProcessSpec &p, Error *e) {
  reset_signals();
  const char *file = p.args[0];
  char *const *argv = (char *const *)p.args;
  char *const *envp = (char *const *)p.env;
  if (strchr(file, '/')) {
    execve(file, argv, envp);
    return exec_failed(e, file, errno);
  }
  int saved = ENOENT;
  const char *dir = env_path(p);
  while (dir) {
    const char *colon = strchr(dir, ':');
    size_t len = colon ? (size_t)(colon - dir) : strlen(dir);
    char path[4096];
    if (snprintf(path, sizeof path, "%.*s/%s", (int)len, len ? dir : ".", file) < (int)sizeof path) {
      execve(path, argv, envp);
      if (errno != ENOENT && errno != ENOTDIR) saved = errno;  // e.g. EACCES: remember, keep looking
    }
    dir = colon ? colon + 1 : nullptr;
  }
  if (saved == ENOENT) return fail(e, "exec", ENOENT, "exec: \"%s\": executable file not found in $PATH", file);
  return exec_failed(e, file, saved);
}

// With waitForAttach the start is reported before execve, so what execve would refuse for sure (no such
// file, not executable) is checked first and fails the start, as dockerd's start fails.
static bool check_executable(const ProcessSpec &p, Error *e) {
  const char *file = p.args[0];
  if (strchr(file, '/')) {
    const int err = executable(file);
    return err == 0 || exec_failed(e, file, err);
  }
  int saved = ENOENT;
  for (const char *dir = env_path(p); dir;) {
    const char *colon = strchr(dir, ':');
    size_t len = colon ? (size_t)(colon - dir) : strlen(dir);
    char path[4096];
    if (snprintf(path, sizeof path, "%.*s/%s", (int)len, len ? dir : ".", file) < (int)sizeof path) {
      const int err = executable(path);
      if (err == 0) return true;
      if (err != ENOENT && err != ENOTDIR) saved = err;
    }
    dir = colon ? colon + 1 : nullptr;
  }
  if (saved == ENOENT) return fail(e, "exec", ENOENT, "exec: \"%s\": executable file not found in $PATH", file);
  return exec_failed(e, file, saved);
}

// stdin is the shim's pipe with openStdin, else /dev/null; stdout/stderr are the shim's pipes.
// (With a terminal the pty slave replaces all three later.)
bool stdio_pipes(const ContainerFds &f, Error *e) {
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) return fail(e, "stdio", errno, "open /dev/null");
  int in = f.stdin_rd >= 0 ? f.stdin_rd : null_fd;
  int out = f.stdout_wr >= 0 ? f.stdout_wr : null_fd;
  int err = f.stderr_wr >= 0 ? f.stderr_wr : null_fd;
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) return fail(e, "stdio", errno, "dup2");
  close(null_fd);
  return true;
}

// waitForAttach: everything that can fail has been done; tell the shim and wait for its go.
void pause_for_attach(const ContainerFds &f) {
  if (f.ready_wr < 0) return;
  char byte = 'r';
  if (write(f.ready_wr, &byte, 1) != 1) _exit(1);
  close(f.ready_wr);
  if (read(f.go_rd, &byte, 1) != 1) _exit(1);  // the shim died while waiting
  close(f.go_rd);
}

bool run(const ShimConfig &c, const char *rootfs_dir, const ContainerFds &f, Error *e) {
  char go;
  if (read(f.sync_rd, &go, 1) != 1) _exit(1);  // the shim died before releasing us
  close(f.sync_rd);
  // Still in the host's mount view and single-threaded: join the v1 groups before anything else runs.
  if (!cgroups_join_self(c.cgroups, c.ncgroups, e)) return false;
  // In a user namespace: root of it from here on, and the idmapped mounts the shim prepared.
  int *premounted = (int *)alloca(sizeof(int) * (size_t)(c.nmounts + 1));
  if (!namespaces_userns_child(c, f.rootfs_sock, premounted, e)) return false;
  // cgroup v2: a cgroup namespace rooted at the group just joined, so /sys/fs/cgroup shows only its own
  // tree (dockerd's default cgroupns "private" on v2).
  if (c.cgroup_mount.version == 2 && unshare(CLONE_NEWCGROUP) < 0) return fail(e, "namespaces", errno, "unshare the cgroup namespace");

  umask(0);  // device nodes and mount points get exactly the modes we ask for
  if (!namespaces_join_net(f.netns, e) || !network_setup_in_container(c, e) || !rootfs_setup(c, rootfs_dir, premounted, e)) return false;
  if (c.hostname[0] && sethostname(c.hostname, strlen(c.hostname)) < 0) return fail(e, "hostname", errno, "sethostname");
  LaunchOptions o{c.seccomp, true, true, c.console_rows, c.console_cols, &c.seccomp_filter};
  return process_launch(c.process, o, f, e);
}

}  // namespace

bool process_launch(const ProcessSpec &p, const LaunchOptions &o, const ContainerFds &f, Error *e) {
  if (!stdio_pipes(f, e)) return false;  // replaces the host fds the shim was started with
  if (!set_rlimits(p, e) || !capabilities_drop_bounding(p.capabilities, e)) return false;
  umask(0);
  if (o.create_cwd && !mkdir_all(p.cwd, 0755, e)) return false;  // like Docker, a missing workdir is created
  umask(022);

  // Without no_new_privs only CAP_SYS_ADMIN may install a filter, so do it before dropping it.
  const auto install = [&]() { return o.filter && o.filter->n ? seccomp_install_filter(*o.filter, e) : seccomp_install(p.capabilities, e); };
  if (o.seccomp && !p.no_new_privileges && !install()) return false;
  if (!switch_user(p, e) || !capabilities_apply(p.capabilities, e)) return false;
  if (p.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return fail(e, "no_new_privs", errno, "PR_SET_NO_NEW_PRIVS");
  if (o.seccomp && p.no_new_privileges && !install()) return false;
  if (chdir(p.cwd) < 0) return fail(e, "cwd", errno, "chdir %s", p.cwd);

  if (f.ready_wr >= 0 && !check_executable(p, e)) return false;
  pause_for_attach(f);
  if (p.init && o.allow_init) {
    sigset_t old;
    init_block_signals(&old);
    pid_t child = fork();
    if (child < 0) return fail(e, "init", errno, "fork");
    if (child > 0) {
      // Only the real process reports; init keeps nothing of the shim's.
      close(f.error_wr);
      if (f.pty_sock >= 0) close(f.pty_sock);
      init_run(child);
    }
    sigprocmask(SIG_SETMASK, &old, nullptr);
  }
  if (p.terminal && !terminal_setup_in_container(f.pty_sock, o.console_rows, o.console_cols, e)) return false;
  return exec_process(p, e);
}

void process_fail(const ContainerFds &f, const Error &e) {
  if (write(f.error_wr, &e, sizeof e) < 0) { /* the shim is gone; nobody to tell */ }
  _exit(127);
}

void container_main(const ShimConfig &c, const char *rootfs_dir, const ContainerFds &fds) {
  Error e{};
  run(c, rootfs_dir, fds, &e);
  process_fail(fds, e);
}
