#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "fd.h"
#include "fsutil.h"

namespace {

bool parse_map(const JsonNode *root, const char *key, IdMapping **out, int *n, Error *e) {
  const JsonNode *arr = json_get(root, key);
  if (!arr || arr->type != JSON_ARRAY || json_length(arr) == 0 || json_length(arr) > 340)
    return fail(e, "config", EINVAL, "\"userns.%s\" must be a non-empty array", key);
  *out = (IdMapping *)calloc(json_length(arr), sizeof(IdMapping));
  for (const JsonNode *m = arr->child; m; m = m->next) {
    IdMapping *im = &(*out)[(*n)++];
    const char *const names[] = {"containerId", "hostId", "size"};
    uint32_t *fields[] = {&im->container_id, &im->host_id, &im->size};
    for (int i = 0; i < 3; i++) {
      const JsonNode *v = m->type == JSON_OBJECT ? json_get(m, names[i]) : nullptr;
      if (!v || v->type != JSON_NUMBER || v->number < 0 || v->number > 4294967295.0 || v->number != (double)(uint32_t)v->number)
        return fail(e, "config", EINVAL, "\"userns.%s[].%s\" must be a 32-bit id", key, names[i]);
      *fields[i] = (uint32_t)v->number;
    }
    if (im->size == 0 || (uint64_t)im->container_id + im->size > 4294967295ull || (uint64_t)im->host_id + im->size > 4294967295ull)
      return fail(e, "config", EINVAL, "\"userns.%s\" has an empty or overflowing range", key);
  }
  return true;
}

bool write_map(pid_t pid, const char *file, const IdMapping *m, int n, Error *e) {
  char buf[4096], path[64];
  size_t len = 0;
  for (int i = 0; i < n; i++)
    len += (size_t)snprintf(buf + len, sizeof buf - len, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  Fd fd(open(path, O_WRONLY | O_CLOEXEC));
  if (!fd.ok()) return fail(e, "userns", errno, "open %s", path);
  if (write(fd.get(), buf, len) != (ssize_t)len) return fail(e, "userns", errno, "write %s", path);
  return true;
}

// The host id that container id 0 maps to.
bool mapped_root(const IdMapping *m, int n, uint32_t *out) {
  for (int i = 0; i < n; i++)
    if (m[i].container_id == 0) return *out = m[i].host_id, true;
  return false;
}

int open_userns(pid_t pid, Error *e) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(e, "userns", errno, "open %s", path);
  return fd;
}

// A detached clone of dir (relative to dirfd) whose ids are shifted into userns_fd's namespace.
int idmapped_clone(int dirfd, const char *dir, int userns_fd, bool recursive, Error *e) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  Fd tree((int)syscall(SYS_open_tree, dirfd, dir, flags));
  if (!tree.ok()) return fail(e, "idmap", errno, "open_tree %s", dir), -1;
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = (uint64_t)userns_fd;
  if (syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
    return fail(e, "idmap", errno, "idmap %s: this kernel or filesystem cannot idmap it (mount_setattr MOUNT_ATTR_IDMAP); run the container with --userns=host", dir), -1;
  return tree.release();
}

bool fsconfig_string(int fs, const char *key, const char *value, Error *e) {
  if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, key, value, 0) < 0)
    return fail(e, "overlay", errno, "overlay option %s=%s", key, value);
  return true;
}

void split(const char *path, char *dir, char *base, size_t cap) {
  snprintf(dir, cap, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash) {
    snprintf(base, cap, "%s", path);
    snprintf(dir, cap, ".");
    return;
  }
  snprintf(base, cap, "%s", slash + 1);
  if (slash == dir) slash[1] = 0; else *slash = 0;
}

// The overlay superblock keeps its creator's credentials and uses them for its own work in the upper
// (work dir, whiteouts, copy-up). Through an idmapped upper those creds must be expressible: create it
// with fsuid/fsgid set to the mapped root, capabilities kept.
bool create_as(int fs, uint32_t uid, uint32_t gid, Error *e) {
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct saved[2], raised[2];
  if (syscall(SYS_capget, &h, saved) < 0) return fail(e, "overlay", errno, "capget");
  setfsgid(gid);
  setfsuid(uid);
  memcpy(raised, saved, sizeof raised);
  raised[0].effective = raised[0].permitted;  // setfsuid to non-zero dropped the filesystem capabilities
  raised[1].effective = raised[1].permitted;
  bool ok = syscall(SYS_capset, &h, raised) == 0 || fail(e, "overlay", errno, "capset");
  if (ok && syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
    ok = fail(e, "overlay", errno, "create the idmapped overlay");
  setfsuid(0);
  setfsgid(0);
  syscall(SYS_capset, &h, saved);
  return ok;
}

// overlay.cc clears the "mounted volatile before" marker the same way for the plain mount.
void clear_volatile_marker(int cwd, const char *work) {
  const char *const marker[] = {"work/incompat/volatile/dirty", "work/incompat/volatile", "work/incompat"};
  for (int i = 0; i < 3; i++) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", work, marker[i]);
    if (unlinkat(cwd, p, i == 0 ? 0 : AT_REMOVEDIR) < 0 && errno != ENOENT) break;
  }
}

// A path relative to the overlay's cwd (or absolute), as fsconfig resolves it from the shim's cwd.
void at_cwd(char *out, size_t cap, int cwd, const char *p) {
  if (p[0] == '/') snprintf(out, cap, "%s", p);
  else snprintf(out, cap, "/proc/self/fd/%d/%s", cwd, p);
}

// The fallback: lowers are chowned copies and the upper holds host ids, so nothing is idmapped; the
// superblock keeps the shim's (host root's) credentials, as a rootful Podman's or dockerd's overlay.
int plain_overlay(const OverlaySpec &ov, int cwd, int fs, Error *e) {
  char p[PATH_MAX];
  for (int i = 0; i < ov.nlower; i++) {
    at_cwd(p, sizeof p, cwd, ov.lower[i]);
    if (!fsconfig_string(fs, "lowerdir+", p, e)) return -1;
  }
  if (ov.upper) {
    if (ov.volatile_upper) clear_volatile_marker(cwd, ov.work);
    at_cwd(p, sizeof p, cwd, ov.upper);
    if (!fsconfig_string(fs, "upperdir", p, e)) return -1;
    at_cwd(p, sizeof p, cwd, ov.work);
    if (!fsconfig_string(fs, "workdir", p, e)) return -1;
    if (ov.volatile_upper && syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "volatile", nullptr, 0) < 0)
      return fail(e, "overlay", errno, "overlay option volatile"), -1;
  }
  if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) return fail(e, "overlay", errno, "create the overlay"), -1;
  int m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
  if (m < 0) fail(e, "overlay", errno, "fsmount overlay");
  return m;
}

}  // namespace

int userns_idmap_probe_main(const char *dir) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) < 0) return 1;
  pid_t pid = fork();  // the shim is single-threaded here
  if (pid < 0) return 1;
  if (pid == 0) {
    close(ready[0]);
    if (unshare(CLONE_NEWUSER) < 0) _exit(1);
    if (write(ready[1], "x", 1) != 1) _exit(1);
    pause();  // until the parent kills it
    _exit(0);
  }
  close(ready[1]);
  char c;
  int rc = 1;
  Error e{};
  IdMapping m{0, 4294836224u, 65536};  // any non-identity map: the probe never creates a file
  if (read(ready[0], &c, 1) == 1 && write_map(pid, "uid_map", &m, 1, &e) && write_map(pid, "gid_map", &m, 1, &e)) {
    Fd ns(open_userns(pid, &e));
    Fd tree(ns.ok() ? (int)syscall(SYS_open_tree, AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC) : -1);
    if (tree.ok()) {
      mount_attr attr{};
      attr.attr_set = MOUNT_ATTR_IDMAP;
      attr.userns_fd = (uint64_t)ns.get();
      if (syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) == 0) rc = 0;
      else rc = (errno == EINVAL || errno == EOPNOTSUPP || errno == EPERM) ? 3 : 1;
      if (rc) fprintf(stderr, "mount_setattr MOUNT_ATTR_IDMAP %s: %s\n", dir, strerror(errno));
    } else {
      fprintf(stderr, "open_tree %s: %s\n", dir, strerror(errno));
    }
  } else if (e.message[0]) {
    fprintf(stderr, "%s\n", e.message);
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return rc;
}

bool userns_parse(const JsonNode *root, UsernsSpec *u, Error *e) {
  memset(u, 0, sizeof *u);
  u->idmap = true;
  const JsonNode *n = json_get(root, "userns");
  if (!n || n->type == JSON_NULL) return true;
  if (n->type != JSON_OBJECT) return fail(e, "config", EINVAL, "\"userns\" must be an object");
  const JsonNode *im = json_get(n, "idmap");
  if (im && im->type != JSON_BOOL) return fail(e, "config", EINVAL, "\"userns.idmap\" must be a boolean");
  if (im) u->idmap = im->boolean;
  if (!parse_map(n, "uidMap", &u->uid, &u->nuid, e) || !parse_map(n, "gidMap", &u->gid, &u->ngid, e)) return false;
  uint32_t root_id;
  if (!mapped_root(u->uid, u->nuid, &root_id) || !mapped_root(u->gid, u->ngid, &root_id))
    return fail(e, "config", EINVAL, "\"userns\" must map container id 0");
  return true;
}

bool userns_write_maps(pid_t pid, const UsernsSpec &u, Error *e) {
  return write_map(pid, "uid_map", u.uid, u.nuid, e) && write_map(pid, "gid_map", u.gid, u.ngid, e);
}

int userns_overlay_mount(const OverlaySpec &ov, pid_t pid, const UsernsSpec &u, Error *e) {
  Fd ns(open_userns(pid, e));
  if (!ns.ok()) return -1;
  Fd cwd(open(ov.cwd, O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!cwd.ok()) return fail(e, "overlay", errno, "open %s", ov.cwd), -1;
  Fd fs((int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC));
  if (!fs.ok()) return fail(e, "overlay", errno, "fsopen overlay"), -1;

  if (!u.idmap) return plain_overlay(ov, cwd.get(), fs.get(), e);
  // Each layer is its own idmapped clone, named to overlay by its /proc/self/fd path.
  Fd *lowers = new Fd[ov.nlower > 0 ? ov.nlower : 1];
  auto done = [&](int rc) { delete[] lowers; return rc; };
  char p[PATH_MAX];
  for (int i = 0; i < ov.nlower; i++) {
    lowers[i].reset(idmapped_clone(cwd.get(), ov.lower[i], ns.get(), false, e));
    if (!lowers[i].ok()) return done(-1);
    snprintf(p, sizeof p, "/proc/self/fd/%d", lowers[i].get());
    if (!fsconfig_string(fs.get(), "lowerdir+", p, e)) return done(-1);
  }
  Fd upper;
  if (ov.upper) {
    // upper and work must sit on one mount: clone their common parent (the snapshot's directory).
    char udir[PATH_MAX], ubase[PATH_MAX], wdir[PATH_MAX], wbase[PATH_MAX];
    split(ov.upper, udir, ubase, sizeof udir);
    split(ov.work, wdir, wbase, sizeof wdir);
    if (strcmp(udir, wdir) != 0) return fail(e, "overlay", EINVAL, "upper %s and work %s are not siblings", ov.upper, ov.work), done(-1);
    if (ov.volatile_upper) clear_volatile_marker(cwd.get(), ov.work);
    upper.reset(idmapped_clone(cwd.get(), udir, ns.get(), false, e));
    if (!upper.ok()) return done(-1);
    snprintf(p, sizeof p, "/proc/self/fd/%d/%s", upper.get(), ubase);
    if (!fsconfig_string(fs.get(), "upperdir", p, e)) return done(-1);
    snprintf(p, sizeof p, "/proc/self/fd/%d/%s", upper.get(), wbase);
    if (!fsconfig_string(fs.get(), "workdir", p, e)) return done(-1);
    if (ov.volatile_upper && syscall(SYS_fsconfig, fs.get(), FSCONFIG_SET_FLAG, "volatile", nullptr, 0) < 0)
      return fail(e, "overlay", errno, "overlay option volatile"), done(-1);
  }
  uint32_t uid = 0, gid = 0;
  mapped_root(u.uid, u.nuid, &uid);
  mapped_root(u.gid, u.ngid, &gid);
  if (!create_as(fs.get(), uid, gid, e)) return done(-1);
  int m = (int)syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, 0);
  if (m < 0) fail(e, "overlay", errno, "fsmount overlay");
  return done(m);
}

int userns_idmapped_bind(const char *source, bool recursive, pid_t pid, Error *e) {
  Fd ns(open_userns(pid, e));
  if (!ns.ok()) return -1;
  return idmapped_clone(AT_FDCWD, source, ns.get(), recursive, e);
}

bool userns_send_fd(int sock, int fd, Error *e) { return send_fd(sock, fd, "userns", "a mount to the container", e); }

int userns_receive_fd(int sock, Error *e) {
  int fd = receive_fd(sock, "userns", "a mount from the shim", e);
  if (fd < 0 && !e->stage[0]) fail(e, "userns", EPROTO, "the shim closed the socket before sending a mount");
  return fd;
}

bool userns_become_root(Error *e) {
  if (setresgid(0, 0, 0) < 0) return fail(e, "userns", errno, "setresgid 0 in the user namespace");
  if (setresuid(0, 0, 0) < 0) return fail(e, "userns", errno, "setresuid 0 in the user namespace");
  return true;
}

bool userns_attach(int mount_fd, const char *target, Error *e) {
  if (syscall(SYS_move_mount, mount_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return fail(e, "mount", errno, "attach an idmapped mount on %s", target);
  return true;
}

bool userns_mount_wants_idmap(const MountSpec &m) {
  for (int i = 0; i < m.noptions; i++)
    if (strcmp(m.options[i], "idmap") == 0) return true;
  return false;
}
