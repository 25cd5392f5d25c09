// berth-shim: starts one container (or one exec'd process) and owns it until it exits
// (docs/runtime.md, "Shim protocol").
//
//   berth-shim run <shim.json>          fd 3: status pipe, one JSON line
//   berth-shim exec <exec.json>         the same, for a process inside a running container
//   berth-shim mount-overlay <json>     mounts an overlay for the addon, chdir-ing in its own process
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "cgroups_join.h"
#include "config.h"
#include "dns.h"
#include "exec.h"
#include "fd.h"
#include "fsutil.h"
#include "json.h"
#include "launch.h"
#include "logger.h"
#include "namespaces.h"
#include "userns.h"
#include "network.h"
#include "overlay.h"
#include "ports.h"
#include "process.h"
#include "supervisor.h"

namespace {

// <dir of pidFile>/rootfs: the overlay's mount point, only ever mounted inside the container's mount ns.
void rootfs_dir(const ShimConfig &c, char *out, size_t cap) {
  snprintf(out, cap, "%s", c.pid_file);
  char *slash = strrchr(out, '/');
  snprintf(slash ? slash + 1 : out, cap - (size_t)(slash ? slash + 1 - out : 0), "rootfs");
}

// Clones the container's init; on failure nothing is left running.
bool start_container(const ShimConfig &c, const char *rootfs, Launch *l, Fd *netns, Error *e) {
  netns->reset(namespaces_open_net(c, e));
  if (!netns->ok() && c.net[0] == '/') return false;
  l->child.netns = netns->get();
  // With a user namespace the container's root cannot create the mount point in the shim's run dir.
  if (c.userns.nuid && !mkdir_all(rootfs, 0700, e)) return false;
  int userns_sock;
  if (!namespaces_userns_socket(c, &userns_sock, &l->child.rootfs_sock, e)) return false;
  Fd userns(userns_sock);
  pid_t pid = namespaces_clone(c, e);
  if (pid < 0) return false;
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    close(kStatusFd);
    container_main(c, rootfs, l->child);
  }
  l->pid = pid;
  launch_close_child_ends(l);
  return namespaces_userns_parent(c, pid, userns.get(), e);
}

// The net namespace the port proxy dials into: the container's own, a joined one, or the host's (-1).
int proxy_netns(const ShimConfig &c, pid_t init, Fd *joined, Error *e) {
  if (strcmp(c.net, "host") == 0) return -1;
  if (c.net[0] == '/') return joined->release();
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int)init);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(e, "ports", errno, "open %s", path);
  return fd;
}

int shim_run(const char *config_path) {
  int status_fd = fcntl(kStatusFd, F_SETFD, FD_CLOEXEC) == 0 ? kStatusFd : -1;
  Error e{};
  static ShimConfig c;
  if (!config_load(config_path, &c, &e)) {
    report_error(status_fd, e);
    return 1;
  }
  if (!daemonize(&e)) {
    report_error(status_fd, e);
    return 1;
  }
  pid_t shim_pid = getpid();

  char rootfs[4096];
  rootfs_dir(c, rootfs, sizeof rootfs);
  static Logger log;
  static EventLoop loop;
  static AttachServer attach;
  static PortProxy ports;
  static Launch l;
  Fd netns;
  LaunchResult lr{};
  bool ok = log.open(c.log_path, c.log_max_size, c.log_max_files, &e);
  // Host ports first: a taken port fails the start before anything runs.
  ok = ok && ports.bind_all(c.ports, c.nports, &e);
  ok = ok && (!c.attach_socket || attach.listen(c.attach_socket, &loop, &e));
  ok = ok && launch_prepare(c.process, c.wait_for_attach, &l, &e);
  ok = ok && start_container(c, rootfs, &l, &netns, &e);
  ok = ok && cgroups_join(c.cgroups, c.ncgroups, l.pid, &e);
  ok = ok && network_move_peer(c, l.pid, &e);
  uint64_t oom_base = ok ? cgroups_oom_kills(c.cgroups, c.ncgroups) : 0;
  if (ok) {
    char pids[64];
    int n = snprintf(pids, sizeof pids, "%d %d\n", (int)shim_pid, (int)l.pid);
    ok = write_file_atomic(c.pid_file, pids, (size_t)n, &e);
  }
  if (ok && c.nports) {
    int fd = proxy_netns(c, l.pid, &netns, &e);
    ok = (fd >= 0 || strcmp(c.net, "host") == 0) && ports.start(&loop, fd, &e);
  }
  // The embedded DNS server (user-defined networks) answers before the container's process runs.
  ok = ok && dns_start(config_path, c.net, l.pid, &loop, &e);
  static char extra[8192];
  ports.format_status(extra, sizeof extra);
  if (ok && c.attach_socket) {
    // Input typed before the process runs waits in the queue: a pipe is there now, a pty master later.
    if (c.process.open_stdin) attach.expect_stdin();
    if (!c.process.terminal) attach.set_stdio(l.stdin_wr.release(), -1, c.process.stdin_once);
  }
  ok = ok && launch_complete(&l, c.process, c.wait_for_attach, status_fd, shim_pid, extra, &loop, &attach, &lr, &e);
  if (!ok) {
    kill_and_reap(l.pid);
    if (l.pid > 0) unlink(c.pid_file);
    rmdir(rootfs);
    if (c.attach_socket) unlink(c.attach_socket);
    report_error(status_fd, e);
    return 1;
  }

  int master = lr.master.release();
  if (c.attach_socket && c.process.terminal)
    attach.set_stdio(master >= 0 && c.process.open_stdin ? master : -1, master, c.process.stdin_once);
  Supervised s{l.pid, l.sigchld.get(), l.stdout_rd.release(), l.stderr_rd.release(), master, oom_base, {},
               &loop, &log, c.attach_socket ? &attach : nullptr, c.exit_file, c.cgroups, c.ncgroups, true,
               lr.late.stage[0] ? &lr.late : nullptr};
  clock_gettime(CLOCK_REALTIME, &s.started);
  if (!lr.reported) report_ok(status_fd, shim_pid, l.pid, extra);
  if (status_fd >= 0) close(status_fd);

  int rc = supervise(s, &e) ? 0 : 1;
  if (rc) write_all(2, e.message, strlen(e.message));
  ports.close_all();
  dns_stop();
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
  if (argc == 3 && strcmp(argv[1], "exec") == 0) return shim_exec(argv[2]);
  if (argc == 3 && strcmp(argv[1], "mount-overlay") == 0) return mount_overlay_main(argv[2]);
  if (argc == 3 && strcmp(argv[1], "idmap-probe") == 0) return userns_idmap_probe_main(argv[2]);
  static const char usage[] = "usage: berth-shim run <shim.json> | berth-shim exec <exec.json> | berth-shim mount-overlay <json> | berth-shim idmap-probe <dir>\n";
  write_all(2, usage, sizeof usage - 1);
  return 2;
}
