#include "layer_apply.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fsutil.h"
#include "json_quote.h"
#include "tar_format.h"

namespace berth {

bool Applier::Remove(int pfd, size_t depth, const std::string &base, const std::string &entry, LayerErr *err) {
  struct stat st;
  if (fstatat(pfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return true;
    return Sys(err, errno, "lstat " + base, entry);
  }
  if (S_ISDIR(st.st_mode)) {
    dst_.Truncate(depth);  // keeps pfd itself, drops anything below it
    src_.Truncate(0);
    return RemoveTree(pfd, base.c_str(), entry, err);
  }
  if (unlinkat(pfd, base.c_str(), 0) < 0 && errno != ENOENT) return Sys(err, errno, "unlink " + base, entry);
  return true;
}

bool Applier::SetXattrs(int fd, int pfd, const std::string &base, LayerErr *err) {
  for (auto &x : cur_.xattrs) {
    int r = fd >= 0 ? fsetxattr(fd, x.first.c_str(), x.second.data(), x.second.size(), 0)
                    : lsetxattr(ProcPath(pfd, base).c_str(), x.first.c_str(), x.second.data(), x.second.size(), 0);
    // user.* xattrs are not allowed on symlinks, and some filesystems lack xattrs: not fatal, as in Docker.
    if (r < 0 && errno != EOPNOTSUPP && errno != EPERM) return Sys(err, errno, "lsetxattr " + x.first, cur_.name);
  }
  return true;
}

// dockerd's NoOverwriteDirNonDir (docker cp without --overwrite... i.e. the API's noOverwriteDirNonDir).
bool Applier::NoOverwrite(int pfd, const std::string &base, const std::string &rel, LayerErr *err) {
  struct stat st;
  if (fstatat(pfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return true;
  bool isDir = cur_.type == '5';
  if (S_ISDIR(st.st_mode) == isDir) return true;
  std::string inner = copy_->in.destInner == "/" ? "/" + rel : copy_->in.destInner + "/" + rel;
  return Refuse(err, "OVERWRITE",
                std::string("cannot overwrite ") + (isDir ? "non-directory " : "directory ") + JsonQuote(inner) + " with " +
                    (isDir ? "directory " : "non-directory ") + JsonQuote(cur_.name),
                cur_.name);
}

bool Applier::Begin(Entry &e, LayerErr *err) {
  cur_ = std::move(e);
  if (names) names->push_back(cur_.name);
  const std::string &entry = cur_.name;
  if (!CleanName(entry, "path", &comps_, err)) return false;
  struct timespec ts[2] = {cur_.mtime, cur_.mtime};

  if (comps_.empty()) {
    if (copy_) return true;  // "./": the destination itself, which exists; its metadata is left alone
    if (cur_.type != '5') return Refuse(err, "UNSAFE_ENTRY", "the layer root must be a directory", entry);
    if (sameOwner_ && lchown(rootPath_.c_str(), (uid_t)cur_.uid, (gid_t)cur_.gid) < 0) return Sys(err, errno, "lchown /", entry);
    if (chmod(rootPath_.c_str(), cur_.mode) < 0) return Sys(err, errno, "chmod /", entry);
    dirs_[""] = ts[0];
    return true;
  }
  for (auto &x : cur_.xattrs)
    if (StartsWith(x.first, "trusted.overlay."))
      return Refuse(err, "UNSAFE_ENTRY", "refusing overlay xattr " + x.first + " in a layer", entry);

  size_t depth = comps_.size() - 1;
  bool missing;
  int pfd = dst_.Walk(comps_, depth, DirChain::kCreate, entry, &missing, err);
  if (pfd < 0) return false;
  const std::string base = comps_.back();
  std::string rel = Join(comps_, comps_.size());

  if (!copy_ && StartsWith(base, kWhiteoutPrefix)) return Whiteout(pfd, depth, base, err);
  if (plain) unpacked_.insert(rel);
  if (copy_ && copy_->noOverwriteDirNonDir && !NoOverwrite(pfd, base, rel, err)) return false;
  switch (cur_.type) {
    case '5': return Directory(pfd, depth, base, rel, err);
    case '0':
    case '7':
      fileRel_ = rel;
      return File(pfd, depth, base, err);
    case '2': return Symlink(pfd, depth, base, rel, err);
    case '1': return Hardlink(pfd, depth, base, rel, err);
    case '3':
    case '4':
    case '6': return Special(pfd, depth, base, rel, err);
    default: {
      std::string t = cur_.type >= 0x20 && cur_.type < 0x7f ? std::string(1, cur_.type) : std::to_string((unsigned char)cur_.type);
      return Refuse(err, "UNSUPPORTED_ENTRY", "unsupported tar entry type " + t, entry);
    }
  }
}

bool Applier::Whiteout(int pfd, size_t depth, const std::string &base, LayerErr *err) {
  const std::string &entry = cur_.name;
  if (plain && base == kWhiteoutOpaque) {
    std::vector<std::string> dirComps(comps_.begin(), comps_.end() - 1);
    std::vector<std::string> victims;
    Fd dfd(openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    DIR *d = dfd.ok() ? fdopendir(dfd.get()) : nullptr;
    if (!d) return Sys(err, errno, "opendir", entry);
    dfd.release();  // the DIR owns it now
    while (struct dirent *de = readdir(d)) {
      std::string n = de->d_name;
      if (n == "." || n == "..") continue;
      dirComps.push_back(n);
      if (!unpacked_.count(Join(dirComps, dirComps.size()))) victims.push_back(n);
      dirComps.pop_back();
    }
    closedir(d);
    for (auto &v : victims)
      if (!Remove(pfd, depth, v, entry, err)) return false;
    return true;
  }
  if (base == kWhiteoutOpaque) {
    if (setxattr(ProcPath(pfd, "").c_str(), "trusted.overlay.opaque", "y", 1, 0) < 0)
      return Sys(err, errno, "setxattr trusted.overlay.opaque", entry);
    return true;
  }
  if (StartsWith(base, kWhiteoutMetaPrefix)) return true;  // aufs bookkeeping (.wh..wh.plnk …): nothing to apply
  std::string victim = base.substr(strlen(kWhiteoutPrefix));
  if (victim.empty() || victim == "." || victim == "..") return Refuse(err, "UNSAFE_ENTRY", "invalid whiteout name", entry);
  if (!Remove(pfd, depth, victim, entry, err)) return false;
  if (plain) return true;
  if (mknodat(pfd, victim.c_str(), S_IFCHR, makedev(0, 0)) < 0) return Sys(err, errno, "mknod " + victim, entry);
  if (sameOwner_ && fchownat(pfd, victim.c_str(), (uid_t)cur_.uid, (gid_t)cur_.gid, AT_SYMLINK_NOFOLLOW) < 0)
    return Sys(err, errno, "lchown " + victim, entry);
  return true;
}

bool Applier::Directory(int pfd, size_t depth, const std::string &base, const std::string &rel, LayerErr *err) {
  const std::string &entry = cur_.name;
  const char *b = base.c_str();
  if ((depth == 0 && top_ ? top_->Mkdir(pfd, b, 0700) : mkdirat(pfd, b, 0700)) < 0) {
    if (errno != EEXIST) return Sys(err, errno, "mkdir " + rel, entry);
    struct stat st;
    if (fstatat(pfd, b, &st, AT_SYMLINK_NOFOLLOW) < 0) return Sys(err, errno, "lstat " + rel, entry);
    if (!S_ISDIR(st.st_mode)) {
      if (!Remove(pfd, depth, base, entry, err)) return false;
      if (mkdirat(pfd, b, 0700) < 0) return Sys(err, errno, "mkdir " + rel, entry);
    }
  }
  // Owner, xattrs and mode through an fd of the directory itself: never through a name that something
  // else (a container, in docker cp) could have swapped for a symlink meanwhile.
  Fd fd(openat(pfd, b, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.ok()) {
    if (errno == ELOOP || errno == ENOTDIR) return Refuse(err, "UNSAFE_ENTRY", rel + " was replaced by a non-directory while extracting", entry);
    return Sys(err, errno, "open " + rel, entry);
  }
  if (sameOwner_ && fchown(fd.get(), (uid_t)cur_.uid, (gid_t)cur_.gid) < 0) return Sys(err, errno, "lchown " + rel, entry);
  if (!SetXattrs(fd.get(), -1, std::string(), err)) return false;
  if (fchmod(fd.get(), cur_.mode) < 0) return Sys(err, errno, "chmod " + rel, entry);
  dirs_[rel] = cur_.mtime;
  return true;
}

bool Applier::File(int pfd, size_t depth, const std::string &base, LayerErr *err) {
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = openat(pfd, base.c_str(), flags, 0600);
  if (fd < 0 && errno == EEXIST) {
    if (!Remove(pfd, depth, base, cur_.name, err)) return false;
    fd = openat(pfd, base.c_str(), flags, 0600);
  }
  if (fd < 0) return Sys(err, errno, "open " + fileRel_, cur_.name);
  file_.reset(fd);
  return true;
}

bool Applier::Data(const char *p, size_t n, LayerErr *err) {
  if (!file_.ok()) return true;  // docker cp: the body of an entry naming the destination itself
  if (!write_all(file_.get(), p, n)) return Sys(err, errno, "write " + fileRel_, cur_.name);
  return true;
}

bool Applier::End(LayerErr *err) {
  if (!file_.ok()) return true;
  int fd = file_.release();  // closed here, by hand: close's own error counts
  struct timespec ts[2] = {cur_.mtime, cur_.mtime};
  bool ok = true;
  // chown before chmod: chown clears setuid/setgid bits.
  if (sameOwner_ && fchown(fd, (uid_t)cur_.uid, (gid_t)cur_.gid) < 0) ok = Sys(err, errno, "chown " + fileRel_, cur_.name);
  if (ok) ok = SetXattrs(fd, -1, std::string(), err);
  if (ok && fchmod(fd, cur_.mode) < 0) ok = Sys(err, errno, "chmod " + fileRel_, cur_.name);
  if (ok && futimens(fd, ts) < 0) ok = Sys(err, errno, "utimens " + fileRel_, cur_.name);
  if (close(fd) < 0 && ok && errno != EINTR) ok = Sys(err, errno, "close " + fileRel_, cur_.name);
  if (ok) extracted_.insert(fileRel_);
  return ok;
}

bool Applier::Symlink(int pfd, size_t depth, const std::string &base, const std::string &rel, LayerErr *err) {
  const std::string &entry = cur_.name;
  const char *b = base.c_str();
  if (symlinkat(cur_.linkname.c_str(), pfd, b) < 0) {
    if (errno != EEXIST) return Sys(err, errno, "symlink " + rel, entry);
    if (!Remove(pfd, depth, base, entry, err)) return false;
    if (symlinkat(cur_.linkname.c_str(), pfd, b) < 0) return Sys(err, errno, "symlink " + rel, entry);
  }
  if (sameOwner_ && fchownat(pfd, b, (uid_t)cur_.uid, (gid_t)cur_.gid, AT_SYMLINK_NOFOLLOW) < 0)
    return Sys(err, errno, "lchown " + rel, entry);
  if (!SetXattrs(-1, pfd, base, err)) return false;
  struct timespec ts[2] = {cur_.mtime, cur_.mtime};
  if (utimensat(pfd, b, ts, AT_SYMLINK_NOFOLLOW) < 0) return Sys(err, errno, "lutimes " + rel, entry);
  extracted_.insert(rel);
  return true;
}

// Device nodes and fifos are kept, as dockerd (as root) keeps them: whether a container may open a
// device is the devices cgroup's decision, not the image's.
bool Applier::Special(int pfd, size_t depth, const std::string &base, const std::string &rel, LayerErr *err) {
  const std::string &entry = cur_.name;
  const char *b = base.c_str();
  mode_t type = cur_.type == '3' ? S_IFCHR : cur_.type == '4' ? S_IFBLK : S_IFIFO;
  dev_t dev = cur_.type == '6' ? 0 : makedev(cur_.devmajor, cur_.devminor);
  if (!Remove(pfd, depth, base, entry, err)) return false;
  if (mknodat(pfd, b, type | 0600, dev) < 0) return Sys(err, errno, "mknod " + rel, entry);
  // The mode through an O_PATH fd of the node itself (mknod's is cut by the umask; chmod by name follows).
  Fd fd(openat(pfd, b, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.ok()) return Sys(err, errno, "open " + rel, entry);
  struct stat st;
  if (fstat(fd.get(), &st) < 0) return Sys(err, errno, "stat " + rel, entry);
  if ((st.st_mode & S_IFMT) != type) return Refuse(err, "UNSAFE_ENTRY", rel + " was replaced while extracting", entry);
  std::string self = ProcPath(fd.get(), "");
  if (sameOwner_ && fchownat(fd.get(), "", (uid_t)cur_.uid, (gid_t)cur_.gid, AT_EMPTY_PATH) < 0) return Sys(err, errno, "lchown " + rel, entry);
  if (chmod(self.c_str(), cur_.mode) < 0) return Sys(err, errno, "chmod " + rel, entry);
  if (!SetXattrs(-1, pfd, base, err)) return false;
  struct timespec ts[2] = {cur_.mtime, cur_.mtime};
  if (utimensat(pfd, b, ts, AT_SYMLINK_NOFOLLOW) < 0) return Sys(err, errno, "utimens " + rel, entry);
  extracted_.insert(rel);
  return true;
}

bool Applier::Hardlink(int pfd, size_t depth, const std::string &base, const std::string &rel, LayerErr *err) {
  const std::string &entry = cur_.name;
  std::vector<std::string> lcomps;
  if (!CleanName(cur_.linkname, "hardlink target", &lcomps, err)) {
    err->entry = entry;  // the entry at fault is this one, not its target
    return false;
  }
  std::string lrel = Join(lcomps, lcomps.size());
  if (lcomps.empty() || !extracted_.count(lrel))
    return Refuse(err, "UNSAFE_ENTRY", "hardlink target " + JsonQuote(cur_.linkname) + " was not extracted earlier from this layer", entry);
  bool missing;
  int sfd = src_.Walk(lcomps, lcomps.size() - 1, DirChain::kExisting, entry, &missing, err);
  if (sfd < 0 && !missing) return false;
  struct stat st;
  if (sfd < 0 || fstatat(sfd, lcomps.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode))
    return Refuse(err, "UNSAFE_ENTRY", "hardlink target " + JsonQuote(cur_.linkname) + " is missing or a directory", entry);
  if (lrel == rel) return true;
  if (!Remove(pfd, depth, base, entry, err)) return false;
  // Remove may have dropped cached fds: look the source up again.
  sfd = src_.Walk(lcomps, lcomps.size() - 1, DirChain::kExisting, entry, &missing, err);
  if (sfd < 0) return missing ? Refuse(err, "UNSAFE_ENTRY", "hardlink target " + JsonQuote(cur_.linkname) + " is missing or a directory", entry) : false;
  // linkat without AT_SYMLINK_FOLLOW: links a symlink itself, never its target.
  if (linkat(sfd, lcomps.back().c_str(), pfd, base.c_str(), 0) < 0) return Sys(err, errno, "link " + rel, entry);
  extracted_.insert(rel);
  return true;
}

bool Applier::Finish(Usage *u, LayerErr *err) {
  file_.reset();
  std::vector<std::string> comps;
  for (auto &d : dirs_) {
    struct timespec ts[2] = {d.second, d.second};
    if (d.first.empty()) {
      if (utimensat(AT_FDCWD, rootPath_.c_str(), ts, AT_SYMLINK_NOFOLLOW) < 0) return Sys(err, errno, "utimens /");
      continue;
    }
    LayerErr ignored;
    if (!CleanName(d.first, "path", &comps, &ignored) || comps.empty()) continue;
    bool missing;
    int pfd = dst_.Walk(comps, comps.size() - 1, DirChain::kExisting, d.first, &missing, &ignored);
    if (pfd < 0) continue;  // replaced later by a non-directory
    struct stat st;
    if (fstatat(pfd, comps.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) continue;
    if (utimensat(pfd, comps.back().c_str(), ts, AT_SYMLINK_NOFOLLOW) < 0) return Sys(err, errno, "utimens " + d.first);
  }
  dst_.Truncate(0);
  src_.Truncate(0);
  if (copy_) return true;  // a container's directory: nobody asked for its usage
  return DiskUsage(rootPath_, u, err);
}

bool CopyChecker::Begin(Entry &e, LayerErr *err) {
  std::vector<std::string> comps;
  if (!CleanName(e.name, "path", &comps, err)) return false;
  std::string rel = Join(comps, comps.size());
  for (size_t n = 1; n < comps.size(); n++) {
    std::string p = Join(comps, n);
    if (links_.count(p)) return Refuse(err, "UNSAFE_ENTRY", "it lies below the symlink " + p + " from the same archive", e.name);
  }
  switch (e.type) {
    case '2': {
      if (!e.linkname.empty() && e.linkname[0] != '/') {
        long depth = (long)destDepth_ + (long)(comps.empty() ? 0 : comps.size() - 1);
        std::vector<std::string> t;
        size_t start = 0;
        while (start <= e.linkname.size()) {
          size_t slash = e.linkname.find('/', start);
          if (slash == std::string::npos) slash = e.linkname.size();
          std::string c = e.linkname.substr(start, slash - start);
          if (c == "..") {
            if (--depth < 0)
              return Refuse(err, "UNSAFE_ENTRY", "its symlink target " + JsonQuote(e.linkname) + " leaves the container's root", e.name);
          } else if (!c.empty() && c != ".") {
            depth++;
          }
          start = slash + 1;
        }
      }
      links_.insert(rel);
      break;
    }
    case '1': {
      std::vector<std::string> target;
      if (!CleanName(e.linkname, "hardlink target", &target, err)) {
        err->entry = e.name;
        return false;
      }
      if (!seen_.count(Join(target, target.size())))
        return Refuse(err, "UNSAFE_ENTRY", "hardlink target " + JsonQuote(e.linkname) + " is not an earlier entry of this archive", e.name);
      break;
    }
    case '0':
    case '7':
    case '5':
    case '3':
    case '4':
    case '6': break;
    default: {
      std::string t = e.type >= 0x20 && e.type < 0x7f ? std::string(1, e.type) : std::to_string((unsigned char)e.type);
      return Refuse(err, "UNSUPPORTED_ENTRY", "unsupported tar entry type " + t, e.name);
    }
  }
  seen_.insert(rel);
  return true;
}

}  // namespace berth
