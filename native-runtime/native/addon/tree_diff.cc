// What a btrfs or vfs snapshot changed over its parent, and that change as an overlay-style upper dir,
// in one pass on the libuv pool (issue #20: the same walk in JS cost one N-API round trip and a root
// lookup per directory and per file). The rules are moby's archive.ChangesDirs, as
// src/snapshots/changes.ts documents them; this file is their fast path and must give the same answer.
// Every tree is walked by directory fds, O_NOFOLLOW at each step, so a running container that swaps a
// directory for a symlink meanwhile can never send the walk (or the links it makes) outside its tree.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "in_root.h"
#include "result.h"

namespace berth {

namespace {

enum Kind { kModified = 0, kAdded = 1, kDeleted = 2 };

struct Change {
  std::string path;
  Kind kind;
  struct stat st;  // the new tree's entry (unset for kDeleted)
};

struct OpErr {
  int err = 0;
  std::string what;
};

bool Fail(OpErr *e, int err, const std::string &what) {
  e->err = err;
  e->what = what + ": " + strerror(err);
  return false;
}

struct Entry {
  std::string name;
  struct stat st;
};

std::string Join(const std::string &dir, const std::string &name) { return dir == "/" ? "/" + name : dir + "/" + name; }

// Entries of an open directory, sorted by name; entries gone meanwhile are skipped. fd < 0: none.
bool ReadDir(int fd, std::vector<Entry> *out, OpErr *e) {
  out->clear();
  if (fd < 0) return true;
  int dup = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) return Fail(e, errno, "reopen a directory");
  DIR *d = fdopendir(dup);
  if (!d) {
    int err = errno;
    close(dup);
    return Fail(e, err, "opendir");
  }
  while (struct dirent *de = readdir(d)) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    Entry en;
    en.name = de->d_name;
    if (fstatat(fd, de->d_name, &en.st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    out->push_back(std::move(en));
  }
  closedir(d);
  std::sort(out->begin(), out->end(), [](const Entry &a, const Entry &b) { return a.name < b.name; });
  return true;
}

// A child directory, never through a symlink; -1 when it is not (or no longer) a directory.
int OpenSub(int fd, const std::string &name) {
  if (fd < 0) return -1;
  return openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

struct Old {
  struct stat st;
  int from;
};

bool Different(const Old &o, const struct stat &n, int exactFrom) {
  const struct stat &a = o.st;
  if (a.st_mode != n.st_mode || a.st_uid != n.st_uid || a.st_gid != n.st_gid || a.st_rdev != n.st_rdev) return true;
  if (S_ISDIR(n.st_mode)) {
    // To the millisecond, as the overlay diff compares directories.
    auto ms = [](const struct timespec &t) { return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000; };
    return ms(a.st_mtim) != ms(n.st_mtim);
  }
  if (a.st_size != n.st_size) return true;
  if (a.st_mtim.tv_sec != n.st_mtim.tv_sec || a.st_mtim.tv_nsec != n.st_mtim.tv_nsec) return true;
  if (exactFrom == o.from)
    return a.st_ino != n.st_ino || a.st_ctim.tv_sec != n.st_ctim.tv_sec || a.st_ctim.tv_nsec != n.st_ctim.tv_nsec;
  return false;
}

class Walker {
 public:
  Walker(int exactFrom, std::vector<Change> *out) : exactFrom_(exactFrom), out_(out) {}

  bool AddAll(int fd, const std::string &rel, OpErr *e) {
    std::vector<Entry> news;
    if (!ReadDir(fd, &news, e)) return false;
    for (auto &n : news) {
      std::string r = Join(rel, n.name);
      out_->push_back({r, kAdded, n.st});
      if (S_ISDIR(n.st.st_mode)) {
        Fd sub(OpenSub(fd, n.name));
        if (sub.ok() && !AddAll(sub.get(), r, e)) return false;
      }
    }
    return true;
  }

  // oldFds: this directory in each old tree, top-most first (-1 where absent).
  bool Walk(int fd, const std::vector<int> &oldFds, const std::string &rel, bool selfRecorded, OpErr *e) {
    size_t at = out_->size();
    std::map<std::string, Old> olds;
    std::vector<Entry> list;
    for (size_t i = 0; i < oldFds.size(); i++) {
      if (!ReadDir(oldFds[i], &list, e)) return false;
      for (auto &o : list) olds.emplace(o.name, Old{o.st, (int)i});
    }
    std::vector<Entry> news;
    if (!ReadDir(fd, &news, e)) return false;
    for (auto &n : news) {
      std::string r = Join(rel, n.name);
      auto it = olds.find(n.name);
      bool isDir = S_ISDIR(n.st.st_mode);
      if (it == olds.end()) {
        out_->push_back({r, kAdded, n.st});
        if (isDir) {
          Fd sub(OpenSub(fd, n.name));
          if (sub.ok() && !AddAll(sub.get(), r, e)) return false;
        }
        continue;
      }
      Old o = it->second;
      olds.erase(it);
      bool changed = Different(o, n.st, exactFrom_);
      if (changed) out_->push_back({r, kModified, n.st});
      if (!isDir) continue;
      Fd sub(OpenSub(fd, n.name));
      if (!sub.ok()) continue;  // replaced meanwhile
      if (!S_ISDIR(o.st.st_mode)) {
        if (!AddAll(sub.get(), r, e)) return false;
        continue;
      }
      std::vector<int> subOlds;
      for (int ofd : oldFds) subOlds.push_back(OpenSub(ofd, n.name));
      bool ok = Walk(sub.get(), subOlds, r, changed, e);
      for (int ofd : subOlds)
        if (ofd >= 0) close(ofd);
      if (!ok) return false;
    }
    for (auto &o : olds) out_->push_back({Join(rel, o.first), kDeleted, {}});
    if (out_->size() > at && !selfRecorded && rel != "/") {
      struct stat st;
      if (fstat(fd, &st) < 0) return Fail(e, errno, "stat " + rel);
      out_->insert(out_->begin() + (long)at, Change{rel, kModified, st});
    }
    return true;
  }

 private:
  int exactFrom_;
  std::vector<Change> *out_;
};

std::string Dirname(const std::string &p) {
  size_t s = p.rfind('/');
  return s == 0 || s == std::string::npos ? "/" : p.substr(0, s);
}

std::string Basename(const std::string &p) { return p.substr(p.rfind('/') + 1); }

// Every extended attribute of src onto dst, except overlay's own (they would change what dst means to
// the layer writer, which reads dst as an overlay upper dir).
bool CopyXattrs(int src, int dst, const std::string &rel, OpErr *e) {
  std::vector<char> names(1024);
  ssize_t n;
  while ((n = flistxattr(src, names.data(), names.size())) < 0 && errno == ERANGE) names.resize(names.size() * 4);
  if (n < 0) return errno == ENOTSUP ? true : Fail(e, errno, "list the xattrs of " + rel);
  std::vector<char> value(256);
  for (ssize_t off = 0; off < n; off += (ssize_t)strlen(names.data() + off) + 1) {
    const char *name = names.data() + off;
    if (!strncmp(name, "trusted.overlay.", 16)) continue;
    ssize_t v;
    while ((v = fgetxattr(src, name, value.data(), value.size())) < 0 && errno == ERANGE) value.resize(value.size() * 4);
    if (v < 0) {
      if (errno == ENODATA) continue;  // removed meanwhile
      return Fail(e, errno, std::string("read xattr ") + name + " of " + rel);
    }
    if (fsetxattr(dst, name, value.data(), (size_t)v, 0) < 0) return Fail(e, errno, std::string("set xattr ") + name + " on " + rel);
  }
  return true;
}

// Builds the upper dir at `scratch` (made here) from changes of the tree `root`: hard links to added
// and modified files (same inode: content, owner, mode and xattrs come along, no byte is copied), their
// directories with the tree's mode, owner, xattrs and times, and a 0:0 character device per deleted path.
class UpperBuilder {
 public:
  UpperBuilder(int root, int scratch) : root_(root), scratch_(scratch) {}

  bool Build(const std::vector<Change> &changes, OpErr *e) {
    // Changes come directory by directory: the fds of the last parent serve its siblings.
    std::string openParent;
    int dst = -1, src = -1;
    auto closeBoth = [&]() {
      if (dst >= 0) close(dst);
      if (src >= 0) close(src);
      dst = src = -1;
      openParent.clear();
    };
    for (auto &c : changes) {
      std::string parent = Dirname(c.path), name = Basename(c.path);
      if (!EnsureDir(parent, e)) return closeBoth(), false;
      if (parent != openParent || dst < 0) {
        closeBoth();
        dst = OpenInRoot(scratch_, parent, O_RDONLY | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
        if (dst < 0) return Fail(e, errno, "open " + parent + " in the upper dir"), closeBoth(), false;
        src = OpenInRoot(root_, parent, O_RDONLY | O_DIRECTORY, RESOLVE_NO_SYMLINKS);  // -1: removed meanwhile
        if (src < 0 && errno != ENOENT && errno != ENOTDIR && errno != ELOOP) return Fail(e, errno, "open " + parent), closeBoth(), false;
        openParent = parent;
      }
      if (c.kind == kDeleted) {
        if (mknodat(dst, name.c_str(), S_IFCHR, makedev(0, 0)) < 0) return Fail(e, errno, "whiteout " + c.path), closeBoth(), false;
        continue;
      }
      if (S_ISDIR(c.st.st_mode)) {
        if (!EnsureDir(c.path, e)) return closeBoth(), false;
        continue;
      }
      if (src < 0) continue;
      if (linkat(src, name.c_str(), dst, name.c_str(), 0) < 0) {
        if (errno == ENOENT) continue;
        return Fail(e, errno, "link " + c.path), closeBoth(), false;
      }
      struct stat got;
      if (fstatat(dst, name.c_str(), &got, AT_SYMLINK_NOFOLLOW) < 0) return Fail(e, errno, "stat " + c.path), closeBoth(), false;
      if (got.st_ino != c.st.st_ino) return Fail(e, EAGAIN, c.path + " changed while its changes were read"), closeBoth(), false;
    }
    closeBoth();
    // Directory times last: making their entries moved them.
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      struct timespec t[2] = {it->second, it->second};
      if (utimensat(scratch_, it->first.c_str() + 1, t, AT_SYMLINK_NOFOLLOW) < 0) return Fail(e, errno, "set the times of " + it->first);
    }
    return true;
  }

 private:
  bool EnsureDir(const std::string &rel, OpErr *e) {
    if (rel == "/" || made_.count(rel)) return true;
    if (!EnsureDir(Dirname(rel), e)) return false;
    Fd src(OpenInRoot(root_, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, RESOLVE_NO_SYMLINKS));
    if (!src.ok()) return Fail(e, errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? EAGAIN : errno, rel + " changed while its changes were read");
    struct stat st;
    if (fstat(src.get(), &st) < 0) return Fail(e, errno, "stat " + rel);
    Fd parent(OpenInRoot(scratch_, Dirname(rel), O_RDONLY | O_DIRECTORY, RESOLVE_NO_SYMLINKS));
    if (!parent.ok()) return Fail(e, errno, "open " + Dirname(rel) + " in the upper dir");
    std::string name = Basename(rel);
    if (mkdirat(parent.get(), name.c_str(), 0700) < 0) return Fail(e, errno, "mkdir " + rel);
    Fd dst(openat(parent.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dst.ok()) return Fail(e, errno, "open " + rel + " in the upper dir");
    // Owner before mode: chown clears set-id bits.
    if (fchown(dst.get(), st.st_uid, st.st_gid) < 0) return Fail(e, errno, "chown " + rel);
    if (fchmod(dst.get(), st.st_mode & 07777) < 0) return Fail(e, errno, "chmod " + rel);
    if (!CopyXattrs(src.get(), dst.get(), rel, e)) return false;
    made_.insert(rel);
    dirs_.emplace_back(rel, st.st_mtim);
    return true;
  }

  int root_, scratch_;
  std::set<std::string> made_;
  std::vector<std::pair<std::string, struct timespec>> dirs_;
};

// rm -rf of one entry below dirfd, never following a symlink.
bool RemoveEntry(int dirfd, const std::string &name, const std::string &rel, OpErr *e) {
  if (unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return true;
  if (errno != EISDIR) return Fail(e, errno, "remove " + rel);
  Fd sub(OpenSub(dirfd, name));
  if (!sub.ok()) return Fail(e, errno, "open " + rel);
  std::vector<Entry> list;
  if (!ReadDir(sub.get(), &list, e)) return false;
  for (auto &en : list)
    if (!RemoveEntry(sub.get(), en.name, Join(rel, en.name), e)) return false;
  if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0) return Fail(e, errno, "rmdir " + rel);
  return true;
}

// Turns `copy` (a private snapshot of the tree) into an upper dir: what did not change goes, a deleted
// path becomes a 0:0 character device. Directories holding changes stay, with their own metadata.
class Pruner {
 public:
  Pruner(const std::vector<Change> &changes) {
    holders_.insert("/");
    for (auto &c : changes) {
      kinds_[c.path] = c.kind;
      for (std::string p = Dirname(c.path); !holders_.count(p); p = Dirname(p)) holders_.insert(p);
    }
  }

  bool Prune(int fd, const std::string &rel, OpErr *e) {
    std::vector<Entry> list;
    if (!ReadDir(fd, &list, e)) return false;
    for (auto &en : list) {
      std::string r = Join(rel, en.name);
      auto k = kinds_.find(r);
      if (k != kinds_.end() && k->second == kAdded) continue;  // with everything below it
      if (k == kinds_.end() && !holders_.count(r)) {
        if (!RemoveEntry(fd, en.name, r, e)) return false;
        continue;
      }
      if (!S_ISDIR(en.st.st_mode)) continue;
      Fd sub(OpenSub(fd, en.name));
      if (!sub.ok()) return Fail(e, errno, "open " + r);
      if (!Prune(sub.get(), r, e)) return false;
    }
    return true;
  }

  bool Whiteouts(int root, const std::vector<Change> &changes, OpErr *e) {
    std::map<std::string, struct timespec> times;
    for (auto &c : changes) {
      if (c.kind != kDeleted) continue;
      std::string parent = Dirname(c.path);
      Fd dir(OpenInRoot(root, parent, O_RDONLY | O_DIRECTORY, RESOLVE_NO_SYMLINKS));
      if (!dir.ok()) return Fail(e, errno, "open " + parent);
      if (!times.count(parent)) {
        struct stat st;
        if (fstat(dir.get(), &st) < 0) return Fail(e, errno, "stat " + parent);
        times[parent] = st.st_mtim;
      }
      if (mknodat(dir.get(), Basename(c.path).c_str(), S_IFCHR, makedev(0, 0)) < 0) return Fail(e, errno, "whiteout " + c.path);
    }
    for (auto &t : times) {
      Fd dir(OpenInRoot(root, t.first, O_RDONLY | O_DIRECTORY, RESOLVE_NO_SYMLINKS));
      struct timespec ts[2] = {t.second, t.second};
      if (!dir.ok() || futimens(dir.get(), ts) < 0) return Fail(e, errno, "set the times of " + t.first);
    }
    return true;
  }

 private:
  std::map<std::string, Kind> kinds_;
  std::set<std::string> holders_;
};

class TreeChangesWorker : public Napi::AsyncWorker {
 public:
  TreeChangesWorker(Napi::Env env, std::string newDir, std::vector<std::string> oldDirs, bool exact, std::string upper, std::string prune)
      : Napi::AsyncWorker(env, "berth:treeChanges"),
        newDir_(std::move(newDir)),
        oldDirs_(std::move(oldDirs)),
        exact_(exact),
        upper_(std::move(upper)),
        prune_(std::move(prune)),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override { ok_ = Run(); }

  void OnOK() override {
    Napi::Env env = Env();
    if (!ok_) {
      deferred_.Resolve(Err(env, err_.err, err_.what));
      return;
    }
    Napi::Array list = Napi::Array::New(env, changes_.size());
    for (uint32_t i = 0; i < changes_.size(); i++) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("Path", changes_[i].path);
      o.Set("Kind", (double)changes_[i].kind);
      list.Set(i, o);
    }
    Napi::Object v = Napi::Object::New(env);
    v.Set("changes", list);
    v.Set("size", (double)size_);
    v.Set("inodes", (double)inodes_);
    deferred_.Resolve(Ok(env, v));
  }

 private:
  bool Run() {
    Fd root(open(newDir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root.ok()) return Fail(&err_, errno, "open " + newDir_);
    std::vector<int> olds;
    bool ok = true;
    for (auto &d : oldDirs_) {
      // A missing old tree (a container made before init layers existed) is an empty one.
      int fd = open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0 && errno != ENOENT && ok) ok = Fail(&err_, errno, "open " + d);
      olds.push_back(fd);
    }
    if (ok) ok = Walker(exact_ ? 0 : -1, &changes_).Walk(root.get(), olds, "/", true, &err_);
    for (int fd : olds)
      if (fd >= 0) close(fd);
    if (!ok) return false;
    // moby's ChangesSize: bytes of added and modified non-directories, each inode once.
    std::unordered_set<ino_t> seen;
    for (auto &c : changes_) {
      if (c.kind == kDeleted) continue;
      inodes_++;
      if (S_ISDIR(c.st.st_mode) || !seen.insert(c.st.st_ino).second) continue;
      size_ += (uint64_t)c.st.st_size;
    }
    if (!upper_.empty()) {
      if (mkdir(upper_.c_str(), 0755) < 0) return Fail(&err_, errno, "mkdir " + upper_);
      if (chmod(upper_.c_str(), 0755) < 0) return Fail(&err_, errno, "chmod " + upper_);
      Fd scratch(open(upper_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!scratch.ok()) return Fail(&err_, errno, "open " + upper_);
      return UpperBuilder(root.get(), scratch.get()).Build(changes_, &err_);
    }
    if (!prune_.empty()) {
      Fd copy(open(prune_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!copy.ok()) return Fail(&err_, errno, "open " + prune_);
      Pruner p(changes_);
      return p.Prune(copy.get(), "/", &err_) && p.Whiteouts(copy.get(), changes_, &err_);
    }
    return true;
  }

  std::string newDir_;
  std::vector<std::string> oldDirs_;
  bool exact_;
  std::string upper_, prune_;
  Napi::Promise::Deferred deferred_;
  std::vector<Change> changes_;
  uint64_t size_ = 0, inodes_ = 0;
  OpErr err_;
  bool ok_ = false;
};

Napi::Value ResolvedWith(Napi::Env env, const Napi::Value &v) {
  auto d = Napi::Promise::Deferred::New(env);
  d.Resolve(v);
  return d.Promise();
}

// treeChanges(newDir, oldDirs, {exact, upper?, prune?}) → {changes: [{Path, Kind}], size, inodes}.
Napi::Value TreeChangesCall(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string newDir;
  if (!ArgString(info, 0, "newDir", &newDir, &error)) return ResolvedWith(env, error);
  if (info.Length() < 3 || !info[1].IsArray() || !info[2].IsObject()) return ResolvedWith(env, Err(env, EINVAL, "treeChanges(newDir, oldDirs[], opts)"));
  std::vector<std::string> oldDirs;
  Napi::Array arr = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsString()) return ResolvedWith(env, Err(env, EINVAL, "oldDirs must be strings"));
    oldDirs.push_back(v.As<Napi::String>().Utf8Value());
  }
  Napi::Object opts = info[2].As<Napi::Object>();
  bool exact = opts.Get("exact").ToBoolean().Value();
  std::string upper = opts.Get("upper").IsString() ? opts.Get("upper").As<Napi::String>().Utf8Value() : "";
  std::string prune = opts.Get("prune").IsString() ? opts.Get("prune").As<Napi::String>().Utf8Value() : "";
  for (auto *p : {&newDir, &upper, &prune})
    if (!p->empty() && (*p)[0] != '/') return ResolvedWith(env, Err(env, EINVAL, "treeChanges needs absolute paths"));
  auto *w = new TreeChangesWorker(env, newDir, oldDirs, exact, upper, prune);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace

void InitTreeDiff(Napi::Env env, Napi::Object exports) {
  exports.Set("treeChanges", Napi::Function::New(env, TreeChangesCall, "treeChanges"));
}

}  // namespace berth
