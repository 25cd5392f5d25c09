#include "disk_usage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <unordered_set>
#include <vector>

#include "fd.h"

namespace berth {

namespace {

bool DiskUsageAt(int fd, std::unordered_set<uint64_t> *seen, Usage *u, LayerErr *err) {
  Fd dup(fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!dup.ok()) return Sys(err, errno, "dup");
  DIR *d = fdopendir(dup.get());
  if (!d) return Sys(err, errno, "fdopendir");
  dup.release();  // the DIR owns it now
  std::vector<std::string> dirs;
  while (struct dirent *de = readdir(d)) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    struct stat st;
    if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT) continue;
      int e = errno;
      closedir(d);
      return Sys(err, e, std::string("lstat ") + de->d_name);
    }
    if (!seen->insert((uint64_t)st.st_ino).second) continue;
    u->inodes++;
    if (S_ISDIR(st.st_mode)) dirs.emplace_back(de->d_name);
    else u->size += (uint64_t)st.st_size;
  }
  closedir(d);
  for (auto &name : dirs) {
    Fd sub(openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub.ok()) {
      if (errno == ENOENT) continue;
      return Sys(err, errno, "open " + name);
    }
    if (!DiskUsageAt(sub.get(), seen, u, err)) return false;
  }
  return true;
}

}  // namespace

bool DiskUsage(const std::string &path, Usage *u, LayerErr *err) {
  Fd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.ok()) return Sys(err, errno, "open " + path);
  std::unordered_set<uint64_t> seen;
  return DiskUsageAt(fd.get(), &seen, u, err);
}

}  // namespace berth
