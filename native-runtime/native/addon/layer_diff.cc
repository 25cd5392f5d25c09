#include "layer_diff.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "in_root.h"
#include "tar_format.h"
#include "tar_writer.h"

namespace berth {

namespace {

// xattrs of a file (fd >= 0) or of path (not followed), sorted by name, overlay's own left out.
bool ReadXattrs(int fd, const std::string &path, std::vector<std::pair<std::string, std::string>> *out, const std::string &rel, LayerErr *err) {
  out->clear();
  std::vector<char> names;
  for (int attempt = 0;; attempt++) {
    ssize_t n = fd >= 0 ? flistxattr(fd, nullptr, 0) : llistxattr(path.c_str(), nullptr, 0);
    if (n < 0 && (errno == EOPNOTSUPP || errno == ENOTSUP)) return true;
    if (n < 0) return Sys(err, errno, "listxattr " + rel, rel);
    if (n == 0) return true;
    names.resize((size_t)n);
    n = fd >= 0 ? flistxattr(fd, names.data(), names.size()) : llistxattr(path.c_str(), names.data(), names.size());
    if (n < 0 && errno == ERANGE && attempt < 4) continue;
    if (n < 0) return Sys(err, errno, "listxattr " + rel, rel);
    names.resize((size_t)n);
    break;
  }
  for (size_t i = 0; i < names.size();) {
    std::string name(names.data() + i);
    i += name.size() + 1;
    if (name.empty() || StartsWith(name, "trusted.overlay.") || StartsWith(name, "user.overlay.")) continue;
    std::vector<char> value;
    for (int attempt = 0;; attempt++) {
      ssize_t n = fd >= 0 ? fgetxattr(fd, name.c_str(), nullptr, 0) : lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
      if (n < 0 && errno == ENODATA) break;
      if (n < 0) return Sys(err, errno, "getxattr " + name + " of " + rel, rel);
      value.resize((size_t)n);
      n = fd >= 0 ? fgetxattr(fd, name.c_str(), value.data(), value.size()) : lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
      if (n < 0 && errno == ERANGE && attempt < 4) continue;
      if (n < 0 && errno == ENODATA) break;
      if (n < 0) return Sys(err, errno, "getxattr " + name + " of " + rel, rel);
      out->emplace_back(name, std::string(value.data(), (size_t)n));
      break;
    }
  }
  std::sort(out->begin(), out->end());
  return true;
}

bool ListDir(int fd, std::vector<std::string> *names, const std::string &rel, LayerErr *err) {
  Fd dup(fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!dup.ok()) return Sys(err, errno, "dup", rel);
  DIR *d = fdopendir(dup.get());
  if (!d) return Sys(err, errno, "opendir " + rel, rel);
  dup.release();  // the DIR owns it now
  while (struct dirent *de = readdir(d)) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    names->emplace_back(de->d_name);
  }
  closedir(d);
  std::sort(names->begin(), names->end());  // std::string compares bytes as unsigned: byte order
  return true;
}

}  // namespace

bool Differ::Open(const std::string &dir, LayerErr *err) {
  Fd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.ok()) return Sys(err, errno, "open " + dir);
  stack_.push_back(Frame{std::move(fd), std::string(), {}, 0});
  return ListDir(stack_.back().fd.get(), &stack_.back().names, dir, err);
}

bool Differ::OpenCopy(const std::string &root, const std::string &path, bool followLast, const std::string &name,
                      std::unordered_set<uint64_t> skipDevs, LayerErr *err) {
  copy_ = true;
  skipDevs_ = std::move(skipDevs);
  Fd rfd(OpenRoot(root));
  if (!rfd.ok()) return Sys(err, errno, "open " + root);
  std::string inner;
  int fd;
  bool missing;
  int e = ResolveInRoot(rfd.get(), path, followLast, &inner, &fd, &missing);
  if (e) return Sys(err, e, "resolve " + path, path);
  if (missing) return Refuse(err, "NOT_FOUND", "no such file " + path, path);
  Fd target(fd);
  struct stat st;
  if (fstat(target.get(), &st) < 0) return Sys(err, errno, "stat " + inner, path);
  if (!S_ISDIR(st.st_mode)) {
    // A file, symlink or node: one entry, read through an fd of its directory.
    size_t slash = inner.rfind('/');
    Fd parent(OpenInRoot(rfd.get(), inner.substr(0, slash ? slash : 1), O_RDONLY | O_DIRECTORY, RESOLVE_NO_SYMLINKS));
    if (!parent.ok()) return Sys(err, errno, "open the directory of " + inner, path);
    cap_ = len_ = 0;  // Emit keeps everything in carry_ until the first Read
    return Next(parent.get(), std::string(), inner.substr(slash + 1), &pending_, err, &name);
  }
  Fd dfd(OpenInRoot(rfd.get(), inner, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  if (!dfd.ok()) return Sys(err, errno, "open " + inner, path);
  Header h;
  h.name = name + "/";
  h.type = '5';
  h.uid = st.st_uid;
  h.gid = st.st_gid;
  h.mtime = (int64_t)st.st_mtim.tv_sec;
  h.mode = st.st_mode & 07777;
  if (!ReadXattrs(dfd.get(), std::string(), &h.xattrs, name, err)) return false;
  WriteHeader(&carry_, h);
  if (skipDevs_.count((uint64_t)st.st_dev)) return true;
  stack_.push_back(Frame{std::move(dfd), name, {}, 0});
  return ListDir(stack_.back().fd.get(), &stack_.back().names, name, err);
}

bool Differ::Next(int dirfd, const std::string &relDir, const std::string &name, std::vector<std::pair<std::string, std::string>> *skipped,
                  LayerErr *err, const std::string *relOverride) {
  struct stat st;
  std::string rel = relOverride ? *relOverride : relDir.empty() ? name : relDir + "/" + name;
  if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return true;  // gone meanwhile
    return Sys(err, errno, "lstat " + name, rel);
  }
  Header h;
  h.uid = st.st_uid;
  h.gid = st.st_gid;
  h.mtime = (int64_t)st.st_mtim.tv_sec;  // whole seconds: the output does not depend on sub-second noise
  h.mode = st.st_mode & 07777;
  std::string out;
  if (!copy_ && S_ISCHR(st.st_mode) && st.st_rdev == 0) {
    h.name = (relDir.empty() ? std::string() : relDir + "/") + kWhiteoutPrefix + name;
    h.mode = 0;
    WriteHeader(&out, h);
    Emit(out);
    return true;
  }
  if (S_ISDIR(st.st_mode)) {
    Fd dfd(openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dfd.ok() && copy_ && (errno == ELOOP || errno == ENOTDIR)) return true;  // swapped meanwhile: not followed
    if (!dfd.ok()) return Sys(err, errno, "open " + rel, rel);
    int fd = dfd.get();
    h.name = rel + "/";
    h.type = '5';
    if (!ReadXattrs(fd, std::string(), &h.xattrs, rel, err)) return false;
    WriteHeader(&out, h);
    if (copy_ && skipDevs_.count((uint64_t)st.st_dev)) {  // a pseudo filesystem's mount point: not its files
      Emit(out);
      return true;
    }
    stack_.push_back(Frame{std::move(dfd), rel, {}, 0});  // owns fd from here on
    char v[2];
    if (!copy_ && fgetxattr(fd, "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y') {
      Header o;
      o.name = rel + "/" + kWhiteoutOpaque;
      o.mode = h.mode & 0777;
      o.uid = h.uid;
      o.gid = h.gid;
      o.mtime = h.mtime;
      WriteHeader(&out, o);
    }
    Emit(out);
    return ListDir(fd, &stack_.back().names, rel, err);
  }
  if (S_ISLNK(st.st_mode)) {
    std::vector<char> buf((size_t)st.st_size + 1 > 256 ? (size_t)st.st_size + 1 : 256);
    for (;;) {
      ssize_t n = readlinkat(dirfd, name.c_str(), buf.data(), buf.size());
      if (n < 0) return Sys(err, errno, "readlink " + rel, rel);
      if ((size_t)n < buf.size()) {
        h.linkname.assign(buf.data(), (size_t)n);
        break;
      }
      buf.resize(buf.size() * 2);
    }
    h.name = rel;
    h.type = '2';
    if (!ReadXattrs(-1, ProcPath(dirfd, name), &h.xattrs, rel, err)) return false;
    WriteHeader(&out, h);
    Emit(out);
    return true;
  }
  // Any other non-directory with several links: the second name on is a hardlink to the first (as
  // moby's addTarFile does); docker cp links regular files only, as before.
  bool linkable = S_ISREG(st.st_mode) || (!copy_ && !S_ISSOCK(st.st_mode));
  if (linkable && st.st_nlink > 1) {
    std::string key = std::to_string((uint64_t)st.st_dev) + ":" + std::to_string((uint64_t)st.st_ino);
    auto it = links_.find(key);
    if (it != links_.end()) {
      h.name = rel;
      h.type = '1';
      h.linkname = it->second;
      WriteHeader(&out, h);
      Emit(out);
      return true;
    }
    links_.emplace(key, rel);
  }
  if (S_ISREG(st.st_mode)) {
    h.name = rel;
    // O_NONBLOCK: if a fifo was swapped in meanwhile, the open must not wait for a writer.
    Fd fd(openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd.ok() && copy_ && (errno == ELOOP || errno == ENOENT)) return true;  // swapped or gone meanwhile
    if (!fd.ok()) return Sys(err, errno, "open " + rel, rel);
    struct stat fst;
    if (fstat(fd.get(), &fst) < 0 || !S_ISREG(fst.st_mode)) return true;  // swapped for a fifo or device meanwhile: never read one
    st = fst;
    if (!ReadXattrs(fd.get(), std::string(), &h.xattrs, rel, err)) return false;
    file_ = std::move(fd);
    fileRel_ = rel;
    h.size = (uint64_t)st.st_size;
    fileLeft_ = h.size;
    filePad_ = (size_t)((kBlock - h.size % kBlock) % kBlock);
    WriteHeader(&out, h);
    Emit(out);
    return true;
  }
  // Fifos and device nodes are entries of their own (as Docker writes them: a RUN mkfifo or mknod is
  // part of the layer); whether a container may open a device stays the devices cgroup's decision.
  // A socket belongs to a running process and has no place in a tar (moby skips it too).
  if (S_ISSOCK(st.st_mode)) {
    skipped->emplace_back(rel, "socket");
    return true;
  }
  h.name = rel;
  h.type = S_ISFIFO(st.st_mode) ? '6' : S_ISCHR(st.st_mode) ? '3' : '4';
  if (h.type != '6') {
    h.devmajor = major(st.st_rdev);
    h.devminor = minor(st.st_rdev);
  }
  // A layer keeps a node's xattrs (security.*, trusted.*) as it keeps any entry's; docker cp never read them.
  if (!copy_ && !ReadXattrs(-1, ProcPath(dirfd, name), &h.xattrs, rel, err)) return false;
  WriteHeader(&out, h);
  Emit(out);
  return true;
}

bool Differ::Read(char *dst, size_t cap, size_t *n, std::vector<std::pair<std::string, std::string>> *skipped, LayerErr *err) {
  dst_ = dst;
  cap_ = cap;
  len_ = 0;
  if (!carry_.empty()) {
    std::string c;
    c.swap(carry_);
    Emit(c);
  }
  while (len_ < cap_ && carry_.empty()) {
    if (fileLeft_ > 0) {
      size_t want = (size_t)std::min<uint64_t>(fileLeft_, cap_ - len_);
      ssize_t got = 0;
      if (file_.ok()) {
        got = read(file_.get(), dst_ + len_, want);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return Sys(err, errno, "read " + fileRel_, fileRel_);
      }
      if (got == 0) {  // the file shrank while we read it: pad to the size in its header
        file_.reset();
        memset(dst_ + len_, 0, want);
        got = (ssize_t)want;
      }
      len_ += (size_t)got;
      fileLeft_ -= (uint64_t)got;
      continue;
    }
    if (file_.ok() || filePad_ > 0) {
      file_.reset();
      Emit(std::string(filePad_, '\0'));
      filePad_ = 0;
      continue;
    }
    if (ended_) break;
    if (stack_.empty()) {
      Emit(std::string(2 * kBlock, '\0'));  // end of archive
      ended_ = true;
      continue;
    }
    Frame &f = stack_.back();
    if (f.next == f.names.size()) {
      stack_.pop_back();
      continue;
    }
    std::string name = f.names[f.next++];
    int dirfd = f.fd.get();
    std::string relDir = f.rel;
    if (!Next(dirfd, relDir, name, skipped, err)) return false;
  }
  *n = len_;
  dst_ = nullptr;
  return true;
}

}  // namespace berth
