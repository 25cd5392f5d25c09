#include "rootfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fd.h"
#include "fsutil.h"
#include "overlay.h"
#include "userns.h"

namespace {

struct Path {
  char buf[PATH_MAX];
};

bool join(Path *out, const char *root, const char *rel, Error *e) {
  while (*rel == '/') rel++;
  if (snprintf(out->buf, sizeof out->buf, "%s/%s", root, rel) >= (int)sizeof out->buf)
    return fail(e, "rootfs", ENAMETOOLONG, "%s/%s", root, rel);
  return true;
}

// A mount target is resolved on the host, so a symlink in the image could point it outside the
// rootfs (e.g. /data -> /etc). Refuse any target whose real path leaves the rootfs.
bool check_inside(const char *root, const char *path, Error *e) {
  char real[PATH_MAX];
  if (!realpath(path, real)) return fail(e, "rootfs", errno, "resolve %s", path);
  size_t n = strlen(root);
  if (strncmp(real, root, n) != 0 || (real[n] != '/' && real[n] != 0))
    return fail(e, "rootfs", EXDEV, "mount target %s resolves outside the rootfs (%s)", path, real);
  return true;
}

bool do_mount(const char *src, const char *dst, const char *type, unsigned long flags, const char *data, Error *e) {
  if (mount(src, dst, type, flags, data) < 0)
    return fail(e, "mount", errno, "mount %s on %s (type %s, data %s)", src ? src : "none", dst, type ? type : "none", data ? data : "");
  return true;
}

// Creates dst as a directory, or as an empty file when it will receive a file bind mount.
bool make_target(const char *root, const char *dst, bool file, Error *e) {
  struct stat st;
  if (lstat(dst, &st) < 0) {
    if (file) {
      Path parent;
      snprintf(parent.buf, sizeof parent.buf, "%s", dst);
      *strrchr(parent.buf, '/') = 0;
      if (!mkdir_all(parent.buf, 0755, e)) return false;
      Fd fd(open(dst, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644));
      if (!fd.ok()) return fail(e, "rootfs", errno, "create %s", dst);
    } else if (!mkdir_all(dst, 0755, e)) {
      return false;
    }
  }
  return check_inside(root, dst, e);
}

// Remount flags must repeat the locked flags already on the mount, or the kernel refuses.
unsigned long current_flags(const char *path) {
  struct statvfs sv;
  if (statvfs(path, &sv) < 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
  return f;
}

bool remount_ro(const char *path, Error *e) {
  return do_mount(nullptr, path, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | current_flags(path), nullptr, e);
}

bool propagation_flags(const char *name, unsigned long *out) {
  static const struct { const char *name; unsigned long flags; } kProp[] = {
      {"private", MS_PRIVATE}, {"rprivate", MS_PRIVATE | MS_REC}, {"slave", MS_SLAVE}, {"rslave", MS_SLAVE | MS_REC},
      {"shared", MS_SHARED},   {"rshared", MS_SHARED | MS_REC},   {"unbindable", MS_UNBINDABLE},
      {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  for (auto &p : kProp)
    if (strcmp(p.name, name) == 0) { *out = p.flags; return true; }
  return false;
}

bool mount_dev(const char *root, uint64_t shm_size, bool host_shm, Error *e) {
  Path dev, p;
  if (!join(&dev, root, "/dev", e) || !make_target(root, dev.buf, false, e)) return false;
  if (!do_mount("tmpfs", dev.buf, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", e)) return false;

  static const struct { const char *name; unsigned major, minor; } kNodes[] = {
      {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
  };
  for (auto &n : kNodes) {
    snprintf(p.buf, sizeof p.buf, "%s/%s", dev.buf, n.name);
    if (mknod(p.buf, S_IFCHR | 0666, makedev(n.major, n.minor)) == 0) continue;
    // Without CAP_MKNOD (e.g. a future user namespace) bind the host's node instead.
    char host[64];
    snprintf(host, sizeof host, "/dev/%s", n.name);
    if (!make_target(root, p.buf, true, e) || !do_mount(host, p.buf, nullptr, MS_BIND, nullptr, e)) return false;
  }

  snprintf(p.buf, sizeof p.buf, "%s/pts", dev.buf);
  if (!make_target(root, p.buf, false, e) ||
      !do_mount("devpts", p.buf, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5", e))
    return false;

  char data[64];
  snprintf(data, sizeof data, "mode=1777,size=%llu", (unsigned long long)shm_size);
  snprintf(p.buf, sizeof p.buf, "%s/shm", dev.buf);
  // --ipc host shares the host's /dev/shm too (moby binds it), not just the SysV/mqueue namespace.
  if (!make_target(root, p.buf, false, e) ||
      !(host_shm ? do_mount("/dev/shm", p.buf, nullptr, MS_BIND | MS_REC, nullptr, e)
                 : do_mount("shm", p.buf, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, data, e)))
    return false;
  snprintf(p.buf, sizeof p.buf, "%s/mqueue", dev.buf);
  if (!make_target(root, p.buf, false, e) || !do_mount("mqueue", p.buf, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, e))
    return false;

  static const struct { const char *name, *target; } kLinks[] = {
      {"ptmx", "pts/ptmx"}, {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"},
      {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}, {"core", "/proc/kcore"},
  };
  for (auto &l : kLinks) {
    snprintf(p.buf, sizeof p.buf, "%s/%s", dev.buf, l.name);
    if (symlink(l.target, p.buf) < 0) return fail(e, "rootfs", errno, "symlink %s", p.buf);
  }
  return true;
}

// --privileged: the host's device nodes, recreated under the container's /dev with their modes and
// owners, as runc does for a privileged spec (devices.HostDevices: pts, shm, mqueue, fd and console are
// left out; the standard nodes made above are kept).
bool copy_host_devices(const char *host_dir, const char *dst_dir, int depth, Error *e) {
  static const char *const kSkip[] = {"pts", "shm", "mqueue", "fd", "console", ".lxc", ".lxd-mounts", ".udev"};
  DIR *d = opendir(host_dir);
  if (!d) return depth > 0 || fail(e, "rootfs", errno, "open %s", host_dir);
  bool ok = true;
  for (dirent *de; ok && (de = readdir(d));) {
    if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2]))) continue;
    bool skip = false;
    for (const char *s : kSkip) skip = skip || (depth == 0 && strcmp(de->d_name, s) == 0);
    if (skip) continue;
    Path src, dst;
    if (snprintf(src.buf, sizeof src.buf, "%s/%s", host_dir, de->d_name) >= (int)sizeof src.buf ||
        snprintf(dst.buf, sizeof dst.buf, "%s/%s", dst_dir, de->d_name) >= (int)sizeof dst.buf)
      continue;
    struct stat st;
    if (lstat(src.buf, &st) < 0) continue;  // gone meanwhile
    if (S_ISDIR(st.st_mode)) {
      if (depth >= 4) continue;
      if (mkdir(dst.buf, 0755) < 0 && errno != EEXIST) { ok = fail(e, "rootfs", errno, "mkdir %s", dst.buf); break; }
      ok = copy_host_devices(src.buf, dst.buf, depth + 1, e);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      if (mknod(dst.buf, st.st_mode & (S_IFMT | 07777), st.st_rdev) < 0) {
        if (errno == EEXIST) continue;
        ok = fail(e, "rootfs", errno, "mknod %s", dst.buf);
        break;
      }
      if (lchown(dst.buf, st.st_uid, st.st_gid) < 0) ok = fail(e, "rootfs", errno, "chown %s", dst.buf);
    }
  }
  closedir(d);
  return ok;
}

// --device: each node made at its path (parents created inside the rootfs) with the host's numbers, mode
// and owner, as runc's createDeviceNode: an existing entry is kept; where mknod is not permitted (a user
// namespace) the host's node is bound onto an empty file instead.
bool create_devices(const char *root, const DeviceSpec *devs, int n, Error *e) {
  for (int i = 0; i < n; i++) {
    const DeviceSpec &d = devs[i];
    Path dst, parent;
    if (!join(&dst, root, d.path, e)) return false;
    snprintf(parent.buf, sizeof parent.buf, "%s", dst.buf);
    *strrchr(parent.buf, '/') = 0;
    if (!mkdir_all(parent.buf, 0755, e) || !check_inside(root, parent.buf, e)) return false;
    mode_t mode = (d.block ? S_IFBLK : S_IFCHR) | (mode_t)d.file_mode;
    if (mknod(dst.buf, mode, makedev(d.major, d.minor)) == 0) {
      // mknod applies the umask; the host's mode and owner are what the container sees.
      if (chmod(dst.buf, (mode_t)d.file_mode) < 0) return fail(e, "rootfs", errno, "chmod %s", dst.buf);
      if (lchown(dst.buf, (uid_t)d.uid, (gid_t)d.gid) < 0) return fail(e, "rootfs", errno, "chown %s", dst.buf);
      continue;
    }
    if (errno == EEXIST) continue;
    if (errno != EPERM) return fail(e, "rootfs", errno, "mknod %s", d.path);
    if (!make_target(root, dst.buf, true, e) || !do_mount(d.host_path, dst.buf, nullptr, MS_BIND, nullptr, e)) return false;
  }
  return true;
}

// /sys/fs/cgroup as dockerd sets it up (runc's cgroup mount): on v1 a tmpfs holding each hierarchy's
// container directory, bound at its name; on v2 the cgroup2 filesystem seen from the container's own
// cgroup namespace (entered in process.cc). Read-only unless privileged or writable-cgroups.
bool mount_cgroups(const char *root, const CgroupMountSpec &cm, Error *e) {
  if (cm.version == 0) return true;
  Path dir;
  if (!join(&dir, root, "/sys/fs/cgroup", e) || !make_target(root, dir.buf, false, e)) return false;
  const unsigned long kFlags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  const unsigned long ro = cm.readonly ? MS_RDONLY : 0;
  if (cm.version == 2) return do_mount("cgroup2", dir.buf, "cgroup2", kFlags | ro, nullptr, e);

  if (!do_mount("tmpfs", dir.buf, "tmpfs", kFlags, "mode=755", e)) return false;
  for (int i = 0; i < cm.nhierarchies; i++) {
    const CgroupHierarchy &h = cm.hierarchies[i];
    Path p;
    if (snprintf(p.buf, sizeof p.buf, "%s/%s", dir.buf, h.name) >= (int)sizeof p.buf)
      return fail(e, "rootfs", ENAMETOOLONG, "%s/%s", dir.buf, h.name);
    if (mkdir(p.buf, 0755) < 0) return fail(e, "rootfs", errno, "mkdir %s", p.buf);
    if (!do_mount(h.source, p.buf, nullptr, MS_BIND | MS_REC, nullptr, e)) return false;
    if (!do_mount(nullptr, p.buf, nullptr, MS_REMOUNT | MS_BIND | kFlags | ro, nullptr, e)) return false;
    // A combined hierarchy ("cpu,cpuacct") is also reachable by each controller's name.
    if (!strchr(h.name, ',')) continue;
    char names[256];
    snprintf(names, sizeof names, "%s", h.name);
    char *save = nullptr;
    for (char *c = strtok_r(names, ",", &save); c; c = strtok_r(nullptr, ",", &save)) {
      Path link;
      if (snprintf(link.buf, sizeof link.buf, "%s/%s", dir.buf, c) >= (int)sizeof link.buf) continue;
      if (symlink(h.name, link.buf) < 0 && errno != EEXIST) return fail(e, "rootfs", errno, "symlink %s", link.buf);
    }
  }
  return !cm.readonly || remount_ro(dir.buf, e);
}

bool mount_user(const char *root, const MountSpec &m, int premounted, Error *e) {
  static const struct { const char *name; unsigned long set, clear; } kOpts[] = {
      {"ro", MS_RDONLY, 0},       {"rw", 0, MS_RDONLY},      {"nosuid", MS_NOSUID, 0}, {"suid", 0, MS_NOSUID},
      {"nodev", MS_NODEV, 0},     {"dev", 0, MS_NODEV},      {"noexec", MS_NOEXEC, 0}, {"exec", 0, MS_NOEXEC},
      {"bind", MS_BIND, 0},       {"rbind", MS_BIND | MS_REC, 0}, {"noatime", MS_NOATIME, 0},
      {"relatime", MS_RELATIME, 0}, {"strictatime", MS_STRICTATIME, 0}, {"nodiratime", MS_NODIRATIME, 0},
  };
  unsigned long flags = 0, propagation = 0;
  char data[4096] = "";
  for (int i = 0; i < m.noptions; i++) {
    const char *o = m.options[i];
    bool known = false;
    for (auto &k : kOpts)
      if (strcmp(k.name, o) == 0) { flags = (flags | k.set) & ~k.clear; known = true; }
    if (!known && propagation_flags(o, &propagation)) known = true;
    if (!known && strcmp(o, "idmap") == 0) known = true;  // made by the shim (premounted)
    if (!known) {  // anything else (size=, mode=, ...) is filesystem data
      size_t n = strlen(data);
      snprintf(data + n, sizeof data - n, "%s%s", n ? "," : "", o);
    }
  }
  bool bind = strcmp(m.type, "bind") == 0 || (flags & MS_BIND);
  if (bind) flags |= MS_BIND;

  Path dst;
  if (!join(&dst, root, m.destination, e)) return false;
  bool file = false;
  struct stat st;
  if (bind) {
    if (stat(m.source, &st) < 0) return fail(e, "mount", errno, "bind source %s", m.source);
    file = !S_ISDIR(st.st_mode);
  }
  if (!make_target(root, dst.buf, file, e)) return false;

  if (bind) {
    // A bind ignores other flags; apply them with a second, remounting call.
    if (premounted >= 0) {
      bool ok = userns_attach(premounted, dst.buf, e);
      close(premounted);
      if (!ok) return false;
    } else if (!do_mount(m.source, dst.buf, nullptr, flags & (MS_BIND | MS_REC), nullptr, e)) {
      return false;
    }
    unsigned long extra = flags & ~(MS_BIND | MS_REC);
    if (extra && !do_mount(nullptr, dst.buf, nullptr, MS_REMOUNT | MS_BIND | extra | current_flags(dst.buf), nullptr, e))
      return false;
  } else if (!do_mount(m.source, dst.buf, m.type, flags, data[0] ? data : nullptr, e)) {
    return false;
  }
  if (propagation && !do_mount(nullptr, dst.buf, nullptr, propagation, nullptr, e)) return false;
  return true;
}

bool pivot(const char *root, Error *e) {
  // pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves only the new.
  if (chdir(root) < 0) return fail(e, "pivot_root", errno, "chdir %s", root);
  if (syscall(SYS_pivot_root, ".", ".") < 0) return fail(e, "pivot_root", errno, "pivot_root %s", root);
  if (umount2(".", MNT_DETACH) < 0) return fail(e, "pivot_root", errno, "detach the old root");
  if (chdir("/") < 0) return fail(e, "pivot_root", errno, "chdir /");
  return true;
}

// HostConfig.Sysctls, checked by the engine (containers/sysctls.ts): "a.b.c=v" goes to /proc/sys/a/b/c of
// the container's own /proc, before mask_paths makes /proc/sys read-only (as runc writes them).
bool write_sysctls(const ShimConfig &c, Error *e) {
  for (int i = 0; i < c.nsysctls; i++) {
    const char *kv = c.sysctls[i];
    const char *eq = strchr(kv, '=');
    char path[512];
    if (!eq || snprintf(path, sizeof path, "/proc/sys/%.*s", (int)(eq - kv), kv) >= (int)sizeof path)
      return fail(e, "sysctl", EINVAL, "bad sysctl %s", kv);
    for (char *p = path + strlen("/proc/sys/"); *p; p++)
      if (*p == '.') *p = '/';
    Fd fd(open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.ok()) return fail(e, "sysctl", errno, "open %s", path);
    const size_t len = strlen(eq + 1);
    if (write(fd.get(), eq + 1, len) != (ssize_t)len) return fail(e, "sysctl", errno, "write %s", path);
  }
  return true;
}

bool mask_paths(const ShimConfig &c, Error *e) {
  for (int i = 0; i < c.nmasked; i++) {
    const char *p = c.masked_paths[i];
    struct stat st;
    if (stat(p, &st) < 0) {
      if (errno == ENOENT) continue;
      return fail(e, "mask", errno, "stat %s", p);
    }
    bool ok = S_ISDIR(st.st_mode) ? do_mount("tmpfs", p, "tmpfs", MS_RDONLY, nullptr, e)
                                  : do_mount("/dev/null", p, nullptr, MS_BIND, nullptr, e);
    if (!ok) return false;
  }
  for (int i = 0; i < c.nreadonly; i++) {
    const char *p = c.readonly_paths[i];
    if (access(p, F_OK) < 0) {
      if (errno == ENOENT) continue;
      return fail(e, "readonly", errno, "access %s", p);
    }
    if (!do_mount(p, p, nullptr, MS_BIND | MS_REC, nullptr, e) || !remount_ro(p, e)) return false;
  }
  return true;
}

}  // namespace

// sysfs belongs to the net namespace: from a user namespace that does not own it (net=host) the kernel
// refuses a new instance, so the host's /sys is bound read-only instead, as runc does.
bool mount_sys(const char *target, bool privileged, bool userns, Error *e) {
  unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | (privileged ? 0 : MS_RDONLY);
  if (mount("sysfs", target, "sysfs", flags, nullptr) == 0) return true;
  if (!userns || errno != EPERM) return do_mount("sysfs", target, "sysfs", flags, nullptr, e);
  return do_mount("/sys", target, nullptr, MS_BIND | MS_REC, nullptr, e) && remount_ro(target, e);
}

bool rootfs_setup(const ShimConfig &c, const char *root_dir, const int *premounted, Error *e) {
  // Nothing we mount may propagate back to the host.
  if (!do_mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr, e)) return false;
  if (!mkdir_all(root_dir, 0700, e)) return false;
  // check_inside compares real paths, so the root must be one too.
  char root[PATH_MAX];
  if (!realpath(root_dir, root)) return fail(e, "rootfs", errno, "resolve %s", root_dir);
  if (premounted && premounted[0] >= 0) {
    bool ok = userns_attach(premounted[0], root, e);
    close(premounted[0]);
    if (!ok) return false;
  } else if (c.rootfs_bind) {
    // vfs/btrfs: the snapshot is a complete directory tree.
    if (!do_mount(c.rootfs_bind, root, nullptr, MS_BIND | MS_REC, nullptr, e)) return false;
  } else if (!overlay_mount(c.overlay, root, false, e)) {
    return false;
  }

  Path p;
  if (!join(&p, root, "/proc", e) || !make_target(root, p.buf, false, e) ||
      !do_mount("proc", p.buf, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, e))
    return false;
  if (!mount_dev(root, c.shm_size, c.ipc_host, e)) return false;
  if (c.privileged) {
    Path dev;
    if (!join(&dev, root, "/dev", e) || !copy_host_devices("/dev", dev.buf, 0, e)) return false;
  }
  if (!create_devices(root, c.devices, c.ndevices, e)) return false;
  // Privileged containers get a writable /sys, as with dockerd.
  if (!join(&p, root, "/sys", e) || !make_target(root, p.buf, false, e) || !mount_sys(p.buf, c.privileged, c.userns.nuid > 0, e))
    return false;
  if (!mount_cgroups(root, c.cgroup_mount, e)) return false;
  for (int i = 0; i < c.nmounts; i++)
    if (!mount_user(root, c.mounts[i], premounted ? premounted[1 + i] : -1, e)) return false;

  if (!pivot(root, e) || !write_sysctls(c, e) || !mask_paths(c, e)) return false;
  if (c.readonly_rootfs && !remount_ro("/", e)) return false;

  unsigned long prop;
  if (!propagation_flags(c.rootfs_propagation, &prop))
    return fail(e, "rootfs", EINVAL, "unknown rootfsPropagation %s", c.rootfs_propagation);
  return do_mount(nullptr, "/", nullptr, prop | MS_REC, nullptr, e);
}
