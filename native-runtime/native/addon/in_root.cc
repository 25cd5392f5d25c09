// Confined lookups inside a container root (see in_root.h), and the small N-API calls built on them:
// rootStat (docker cp's HEAD/GET stat) and rootReaddir (docker diff's walk of an upper dir).
#include "in_root.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "result.h"

namespace berth {

namespace {

constexpr int kMaxLinks = 255;

std::vector<std::string> Split(const std::string &p) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= p.size()) {
    size_t slash = p.find('/', start);
    if (slash == std::string::npos) slash = p.size();
    if (slash > start) out.push_back(p.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

std::string JoinAbs(const std::vector<std::string> &comps) {
  std::string s;
  for (auto &c : comps) s += "/" + c;
  return s.empty() ? "/" : s;
}

bool ReadLinkFd(int fd, std::string *out) {
  std::vector<char> buf(256);
  for (;;) {
    ssize_t n = readlinkat(fd, "", buf.data(), buf.size());
    if (n < 0) return false;
    if ((size_t)n < buf.size()) {
      out->assign(buf.data(), (size_t)n);
      return true;
    }
    buf.resize(buf.size() * 2);
  }
}

}  // namespace

int OpenInRoot(int rootfd, const std::string &path, int flags, unsigned long long extraResolve) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (unsigned long long)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extraResolve;
  const char *p = path.empty() ? "/" : path.c_str();
  // EAGAIN: a rename raced with the kernel's ".." checks; the lookup is simply retried.
  for (int i = 0;; i++) {
    long fd = syscall(SYS_openat2, rootfd, p, &how, sizeof how);
    if (fd >= 0) return (int)fd;
    if ((errno != EAGAIN && errno != EINTR) || i >= 64) return -1;
  }
}

int OpenRoot(const std::string &hostPath) { return open(hostPath.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC); }

int ResolveInRoot(int rootfd, const std::string &path, bool followLast, std::string *inner, int *fd, bool *missing) {
  *fd = -1;
  *missing = false;
  std::deque<std::string> todo;
  for (auto &c : Split(path)) todo.push_back(c);
  std::vector<std::string> done;
  int links = 0;
  while (!todo.empty()) {
    std::string comp = todo.front();
    todo.pop_front();
    if (comp == ".") continue;
    if (comp == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    if (*missing) {
      done.push_back(comp);
      continue;
    }
    done.push_back(comp);
    int cfd = OpenInRoot(rootfd, JoinAbs(done), O_PATH | O_NOFOLLOW);
    if (cfd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) {
        *missing = true;  // the rest is taken literally (it may be created), still inside the root
        continue;
      }
      return errno;
    }
    struct stat st;
    if (fstat(cfd, &st) < 0) {
      int e = errno;
      close(cfd);
      return e;
    }
    if (!S_ISLNK(st.st_mode) || (!followLast && todo.empty())) {
      close(cfd);
      continue;
    }
    std::string target;
    bool read = ReadLinkFd(cfd, &target);
    int e = errno;
    close(cfd);
    if (!read) return e;
    if (++links > kMaxLinks) return ELOOP;
    done.pop_back();
    if (!target.empty() && target[0] == '/') done.clear();
    std::vector<std::string> t = Split(target);
    for (auto it = t.rbegin(); it != t.rend(); ++it) todo.push_front(*it);
  }
  *inner = JoinAbs(done);
  if (!*missing) {
    *fd = OpenInRoot(rootfd, *inner, O_PATH | O_NOFOLLOW);
    if (*fd < 0) {
      if (errno != ENOENT && errno != ENOTDIR) return errno;
      *missing = true;  // removed meanwhile
    }
  }
  return 0;
}

namespace {

Napi::Object StatObject(Napi::Env env, const struct stat &st) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("mode", (double)st.st_mode);
  o.Set("size", (double)st.st_size);
  o.Set("uid", (double)st.st_uid);
  o.Set("gid", (double)st.st_gid);
  o.Set("ino", (double)st.st_ino);
  o.Set("dev", (double)st.st_dev);
  o.Set("rdev", (double)st.st_rdev);
  o.Set("nlink", (double)st.st_nlink);
  o.Set("mtimeSec", (double)st.st_mtim.tv_sec);
  o.Set("mtimeNsec", (double)st.st_mtim.tv_nsec);
  o.Set("mtimeMs", (double)st.st_mtim.tv_sec * 1e3 + (double)st.st_mtim.tv_nsec / 1e6);
  // The storage drivers' exact diff: a btrfs snapshot keeps ctime, which only the kernel can change.
  o.Set("ctimeSec", (double)st.st_ctim.tv_sec);
  o.Set("ctimeNsec", (double)st.st_ctim.tv_nsec);
  return o;
}

// rootStat(root, path, followLast) → {inner, stat: {...} | null, linkTarget}: lstat (or stat) of a
// container path; linkTarget is the container path a final symlink resolves to ("" otherwise).
Napi::Value RootStat(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string root, path;
  if (!ArgString(info, 0, "root", &root, &error) || !ArgString(info, 1, "path", &path, &error)) return error;
  bool followLast = info.Length() > 2 && info[2].ToBoolean().Value();
  Fd rfd(OpenRoot(root));
  if (!rfd.ok()) return SysErr(env, errno, "open " + root);
  std::string inner;
  int fd;
  bool missing;
  int e = ResolveInRoot(rfd.get(), path, followLast, &inner, &fd, &missing);
  if (e) return SysErr(env, e, "resolve " + path);
  Fd hold(fd);
  Napi::Object v = Napi::Object::New(env);
  v.Set("inner", inner);
  v.Set("linkTarget", "");
  if (missing) {
    v.Set("stat", env.Null());
    return Ok(env, v);
  }
  struct stat st;
  if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) return SysErr(env, errno, "stat " + inner);
  v.Set("stat", StatObject(env, st));
  if (S_ISLNK(st.st_mode)) {
    std::string target;
    int tfd;
    bool tmissing;
    if (ResolveInRoot(rfd.get(), inner, true, &target, &tfd, &tmissing) == 0) {
      if (tfd >= 0) close(tfd);
      v.Set("linkTarget", target);
    }
  }
  return Ok(env, v);
}

// rootReaddir(root, path) → [{name, ...stat, opaque}] of a directory below root, symlinks never
// followed on the way (RESOLVE_NO_SYMLINKS): for walks of a tree the container can change meanwhile.
Napi::Value RootReaddir(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string root, path;
  if (!ArgString(info, 0, "root", &root, &error) || !ArgString(info, 1, "path", &path, &error)) return error;
  Fd rfd(OpenRoot(root));
  if (!rfd.ok()) return SysErr(env, errno, "open " + root);
  int dfd = OpenInRoot(rfd.get(), path, O_RDONLY | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
  if (dfd < 0) return SysErr(env, errno, "open " + path);
  DIR *d = fdopendir(dfd);
  if (!d) {
    int e = errno;
    close(dfd);
    return SysErr(env, e, "opendir " + path);
  }
  std::vector<std::string> names;
  while (struct dirent *de = readdir(d)) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    names.emplace_back(de->d_name);
  }
  std::sort(names.begin(), names.end());
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (auto &n : names) {
    struct stat st;
    if (fstatat(dirfd(d), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) continue;  // gone meanwhile
    Napi::Object o = StatObject(env, st);
    o.Set("name", n);
    bool opaque = false;
    if (S_ISDIR(st.st_mode)) {
      int sub = openat(dirfd(d), n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) {
        char val[2];
        opaque = fgetxattr(sub, "trusted.overlay.opaque", val, sizeof val) == 1 && val[0] == 'y';
        close(sub);
      }
    }
    o.Set("opaque", opaque);
    out.Set(i++, o);
  }
  closedir(d);
  return Ok(env, out);
}

}  // namespace

void InitInRoot(Napi::Env env, Napi::Object exports) {
  exports.Set("rootStat", Napi::Function::New(env, RootStat, "rootStat"));
  exports.Set("rootReaddir", Napi::Function::New(env, RootReaddir, "rootReaddir"));
}

}  // namespace berth
