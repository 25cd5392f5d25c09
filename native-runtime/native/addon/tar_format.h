// What the tar reader, writer, applier and differ agree on: the block size, the OCI whiteout names and
// the PAX key prefix of extended attributes.
#pragma once

#include <stddef.h>
#include <string.h>

#include <string>

namespace berth {

constexpr size_t kBlock = 512;
constexpr size_t kMaxMeta = 16 << 20;  // PAX / GNU long-name bodies larger than this are not a real layer
constexpr char kWhiteoutPrefix[] = ".wh.";
constexpr char kWhiteoutMetaPrefix[] = ".wh..wh.";
constexpr char kWhiteoutOpaque[] = ".wh..wh..opq";
constexpr char kXattrPrefix[] = "SCHILY.xattr.";

inline bool StartsWith(const std::string &s, const char *prefix) { return s.compare(0, strlen(prefix), prefix) == 0; }

// /proc/self/fd/<dirfd>[/name]: a path for the few calls that have no *at() form (lsetxattr, chmod of
// a node), resolved through the fd rather than through a name something else could swap.
inline std::string ProcPath(int dirfd, const std::string &name) {
  std::string p = "/proc/self/fd/" + std::to_string(dirfd);
  if (!name.empty()) p += "/" + name;
  return p;
}

}  // namespace berth
