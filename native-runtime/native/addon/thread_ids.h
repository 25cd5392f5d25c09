// docker cp into a running container in a user namespace (issue #19): its rootfs is idmapped, and the
// kernel refuses to create a file there for an id the mount cannot express (host root: EOVERFLOW). The
// worker thread runs with fsuid/fsgid set to the container's mapped root, capabilities kept, and
// restores both after. Credentials are per thread, so the rest of the process is untouched.
#pragma once

#include <stdint.h>

class ThreadFsIds {
 public:
  // uid/gid < 0: nothing changes.
  ThreadFsIds(int64_t uid, int64_t gid);
  ~ThreadFsIds();
  ThreadFsIds(const ThreadFsIds &) = delete;
  ThreadFsIds &operator=(const ThreadFsIds &) = delete;

 private:
  bool active_ = false;
  uint32_t saved_[6] = {};  // two __user_cap_data_struct
};
