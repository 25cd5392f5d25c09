#include "thread_ids.h"

#include <linux/capability.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

ThreadFsIds::ThreadFsIds(int64_t uid, int64_t gid) {
  if (uid < 0 || gid < 0) return;
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct caps[2];
  if (syscall(SYS_capget, &h, caps) < 0) return;
  memcpy(saved_, caps, sizeof caps);
  // The raw syscalls act on this thread only (glibc's setfsuid is not broadcast to other threads).
  syscall(SYS_setfsgid, (gid_t)gid);
  syscall(SYS_setfsuid, (uid_t)uid);
  caps[0].effective = caps[0].permitted;  // a non-zero fsuid dropped the filesystem capabilities
  caps[1].effective = caps[1].permitted;
  syscall(SYS_capset, &h, caps);
  active_ = true;
}

ThreadFsIds::~ThreadFsIds() {
  if (!active_) return;
  syscall(SYS_setfsuid, 0);
  syscall(SYS_setfsgid, 0);
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct caps[2];
  memcpy(caps, saved_, sizeof caps);
  syscall(SYS_capset, &h, caps);
}
