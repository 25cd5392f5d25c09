// Writing a directory as a tar (layer_diff): a walk in byte order of names, one entry at a time, into
// the caller's buffer. Two modes:
//  - a layer (diffDirectory: commit, build, export): overlay whiteouts (0:0 char devices) become `.wh.`
//    entries, opaque directories `.wh..wh..opq`, xattrs PAX SCHILY.xattr.* records (binary safe;
//    overlay's own trusted.overlay.* are left out), files with several links hardlinks; fifos and
//    device nodes are entries of their own type (6, 3, 4 with major/minor), as Docker writes them;
//    sockets are skipped and reported.
//  - docker cp (GET archive): the tar of a path inside a container's root, resolved and read through
//    fds inside it (in_root.h).
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "fd.h"
#include "layer_error.h"

namespace berth {

// Output of one read: straight into the caller's buffer; what does not fit waits in carry_.
class Differ {
 public:
  Differ() = default;
  // A layer: the tar of dir (an overlay upper dir, or any tree for export).
  bool Open(const std::string &dir, LayerErr *err);
  // docker cp (GET archive): the tar of path inside the container root, its entries named under name
  // (dockerd's RebaseNames); whiteouts are plain device nodes here, devices and fifos are kept, and
  // directories on a device of skipDevs (/proc, /sys, ... of a running container) are not entered.
  bool OpenCopy(const std::string &root, const std::string &path, bool followLast, const std::string &name,
                std::unordered_set<uint64_t> skipDevs, LayerErr *err);
  // Fills dst[0..cap) as far as it goes; *n = bytes written, 0 only at the end.
  bool Read(char *dst, size_t cap, size_t *n, std::vector<std::pair<std::string, std::string>> *skipped, LayerErr *err);

 private:
  struct Frame {
    Fd fd;
    std::string rel;
    std::vector<std::string> names;
    size_t next = 0;
  };
  bool Next(int dirfd, const std::string &relDir, const std::string &name, std::vector<std::pair<std::string, std::string>> *skipped, LayerErr *err,
            const std::string *relOverride = nullptr);
  void Emit(const std::string &bytes) {
    size_t room = cap_ - len_;
    size_t take = std::min(room, bytes.size());
    if (take) memcpy(dst_ + len_, bytes.data(), take);
    len_ += take;
    if (take < bytes.size()) carry_.append(bytes, take, std::string::npos);
  }

  std::vector<Frame> stack_;
  std::string carry_;
  char *dst_ = nullptr;
  size_t cap_ = 0, len_ = 0;
  Fd file_;
  uint64_t fileLeft_ = 0;  // body bytes still to send (zeros once the file came up short)
  size_t filePad_ = 0;
  std::string fileRel_;
  std::unordered_map<std::string, std::string> links_;  // "dev:ino" → first name
  bool ended_ = false;
  bool copy_ = false;
  std::unordered_set<uint64_t> skipDevs_;
  std::vector<std::pair<std::string, std::string>> pending_;  // skipped at OpenCopy (a socket): nothing to say
};

}  // namespace berth
