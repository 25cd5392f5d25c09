// The floor for starting a container on this host: clone into new pid/mnt/uts/ipc/net namespaces,
// mount an overlay rootfs, pivot_root, exec /bin/true, wait. No hardening, no logs. With cgroup dirs
// after the two paths, the parent also moves the child into each of them first (as the shim does).
// Usage: clone_exec <lowerdir> <scratch-dir> [cgroup-dir…]   (prints nothing; exit status is the child's)
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *lower, *scratch;
static char stack[256 * 1024];
static int sync_pipe[2];

static int child(void *arg) {
  (void)arg;
  char go;
  close(sync_pipe[1]);
  if (read(sync_pipe[0], &go, 1) != 1) return 100;
  char upper[4096], work[4096], merged[4096], opts[8192];
  snprintf(upper, sizeof upper, "%s/upper", scratch);
  snprintf(work, sizeof work, "%s/work", scratch);
  snprintf(merged, sizeof merged, "%s/merged", scratch);
  snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return 101;
  if (mount("overlay", merged, "overlay", 0, opts) != 0) return 102;
  if (chdir(merged) != 0) return 103;
  if (syscall(SYS_pivot_root, ".", ".") != 0) return 104;
  if (umount2(".", MNT_DETACH) != 0) return 105;
  char *argv[] = {"/bin/true", NULL};
  execv(argv[0], argv);
  return 127;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  lower = argv[1];
  scratch = argv[2];
  if (pipe(sync_pipe) != 0) return 1;
  int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD;
  pid_t pid = clone(child, stack + sizeof stack, flags, NULL);
  if (pid < 0) {
    perror("clone");
    return 1;
  }
  close(sync_pipe[0]);
  for (int i = 3; i < argc; i++) {
    char path[4096], buf[32];
    snprintf(path, sizeof path, "%s/cgroup.procs", argv[i]);
    int fd = open(path, O_WRONLY);
    int n = snprintf(buf, sizeof buf, "%d", pid);
    if (fd < 0 || write(fd, buf, (size_t)n) != n) {
      perror(path);
      kill(pid, SIGKILL);
    }
    if (fd >= 0) close(fd);
  }
  if (write(sync_pipe[1], "g", 1) != 1) return 1;
  close(sync_pipe[1]);
  int status;
  if (waitpid(pid, &status, 0) < 0) return 1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
