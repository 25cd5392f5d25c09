#include "dir_chain.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "in_root.h"

namespace berth {

bool CleanName(const std::string &name, const char *what, std::vector<std::string> *comps, LayerErr *err) {
  comps->clear();
  if (name.find('\0') != std::string::npos)
    return Refuse(err, "UNSAFE_ENTRY", std::string("refusing ") + what + " with a NUL byte", name);
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    if (slash == std::string::npos) slash = name.size();
    std::string c = name.substr(start, slash - start);
    if (c == "..") return Refuse(err, "UNSAFE_ENTRY", std::string("refusing ") + what + " with a \"..\" component", name);
    if (!c.empty() && c != ".") comps->push_back(std::move(c));
    start = slash + 1;
  }
  return true;
}

std::string Join(const std::vector<std::string> &comps, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; i++) {
    if (i) s += '/';
    s += comps[i];
  }
  return s;
}

namespace {

bool RemoveChildren(int fd, const std::string &entry, LayerErr *err) {
  Fd dup(fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!dup.ok()) return Sys(err, errno, "dup", entry);
  DIR *d = fdopendir(dup.get());
  if (!d) return Sys(err, errno, "fdopendir", entry);
  dup.release();  // the DIR owns it now
  std::vector<std::pair<std::string, bool>> names;
  while (struct dirent *de = readdir(d)) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    names.emplace_back(de->d_name, de->d_type == DT_DIR || de->d_type == DT_UNKNOWN);
  }
  closedir(d);
  for (auto &n : names) {
    if (n.second) {
      if (!RemoveTree(fd, n.first.c_str(), entry, err)) return false;
    } else if (unlinkat(fd, n.first.c_str(), 0) < 0 && errno != ENOENT) {
      return Sys(err, errno, "unlink " + n.first, entry);
    }
  }
  return true;
}

}  // namespace

bool RemoveTree(int dirfd, const char *name, const std::string &entry, LayerErr *err) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return true;
    return Sys(err, errno, std::string("lstat ") + name, entry);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) return Sys(err, errno, std::string("unlink ") + name, entry);
    return true;
  }
  {
    Fd fd(openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.ok()) return Sys(err, errno, std::string("open ") + name, entry);
    if (!RemoveChildren(fd.get(), entry, err)) return false;
  }
  if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) return Sys(err, errno, std::string("rmdir ") + name, entry);
  return true;
}

TopDirs::TopDirs(const std::string &dir) {
  Fd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.ok()) return;
  int flags = 0;
  if (ioctl(fd.get(), FS_IOC_GETFLAGS, &flags) == 0) {
    if (!(flags & FS_TOPDIR_FL)) {
      flags |= FS_TOPDIR_FL;
      spread_ = ioctl(fd.get(), FS_IOC_SETFLAGS, &flags) == 0;
    } else {
      spread_ = true;
    }
  }
  fd.reset();
  if (getrandom(&next_, sizeof next_, GRND_NONBLOCK) != (ssize_t)sizeof next_) next_ = ((uint64_t)getpid() << 32) ^ (uint64_t)time(nullptr);
}

int TopDirs::Mkdir(int root, const char *name, mode_t mode) {
  if (!spread_) return mkdirat(root, name, mode);
  char tmp[40];
  snprintf(tmp, sizeof tmp, ".berth-mkdir-%016llx", (unsigned long long)next_++);
  if (mkdirat(root, tmp, mode) < 0) return mkdirat(root, name, mode);
  if (renameat2(root, tmp, root, name, RENAME_NOREPLACE) == 0) return 0;
  int e = errno;
  unlinkat(root, tmp, AT_REMOVEDIR);
  if (e != EEXIST) return mkdirat(root, name, mode);  // no RENAME_NOREPLACE here: as without spreading
  errno = e;
  return -1;
}

int DirChain::Walk(const std::vector<std::string> &comps, size_t n, Mode mode, const std::string &entry, bool *missing, LayerErr *err) {
  *missing = false;
  size_t m = 0;
  while (m < n && m < names_.size() && names_[m] == comps[m]) m++;
  Truncate(m);
  for (size_t i = m; i < n; i++) {
    int parent = i ? fds_[i - 1].get() : root_;
    const char *c = comps[i].c_str();
    int fd = openat(parent, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && mode == kCreate) {
      int made = i == 0 && top_ ? top_->Mkdir(parent, c, 0755) : mkdirat(parent, c, 0755);
      if (made < 0 && errno != EEXIST) {
        Sys(err, errno, "mkdir " + Join(comps, i + 1), entry);
        return -1;
      }
      fd = openat(parent, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      int e = errno;
      if (e == ENOENT && mode == kExisting) {
        *missing = true;
        return -1;
      }
      struct stat st;
      if ((e == ENOTDIR || e == ELOOP) && fstatat(parent, c, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        std::string rel = Join(comps, i + 1);
        if (in_ && S_ISLNK(st.st_mode)) {
          fd = Follow(comps, i + 1, mode, entry, missing, err);
          if (fd < 0) return -1;
          names_.push_back(comps[i]);
          fds_.emplace_back(fd);
          continue;
        }
        if (mode == kExisting) Refuse(err, "UNSAFE_ENTRY", "path goes through non-directory " + rel, entry);
        else if (S_ISLNK(st.st_mode)) Refuse(err, "UNSAFE_ENTRY", "refusing to write below symlink " + rel, entry);
        else Refuse(err, "UNSAFE_ENTRY", "parent " + rel + " is not a directory", entry);
        return -1;
      }
      Sys(err, e, "open " + Join(comps, i + 1), entry);
      return -1;
    }
    names_.push_back(comps[i]);
    fds_.emplace_back(fd);
  }
  return n ? fds_[n - 1].get() : root_;
}

int DirChain::Follow(const std::vector<std::string> &comps, size_t n, Mode mode, const std::string &entry, bool *missing, LayerErr *err) {
  std::string rel = Join(comps, n);
  std::string inner;
  int fd;
  int e = ResolveInRoot(in_->root, in_->destInner + "/" + rel, true, &inner, &fd, missing);
  if (e) {
    Sys(err, e, "resolve " + rel, entry);
    return -1;
  }
  if (*missing) {
    if (mode == kExisting) return -1;
    *missing = false;
    Refuse(err, "UNSAFE_ENTRY", "the symlink " + rel + " leads nowhere (" + inner + " does not exist)", entry);
    return -1;
  }
  Fd dir(fd);
  struct stat st;
  if (fstat(dir.get(), &st) < 0 || !S_ISDIR(st.st_mode)) {
    if (mode == kExisting) Refuse(err, "UNSAFE_ENTRY", "path goes through non-directory " + rel, entry);
    else Refuse(err, "UNSAFE_ENTRY", "parent " + rel + " is not a directory", entry);
    return -1;
  }
  return dir.release();
}

}  // namespace berth
