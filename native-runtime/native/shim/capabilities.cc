#include "capabilities.h"

#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const kNames[] = {
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK",
    "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT",
    "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL",
    "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON",
    "BPF", "CHECKPOINT_RESTORE",
};

int capability_from_name(const char *name) {
  if (strncasecmp(name, "CAP_", 4) == 0) name += 4;
  for (int i = 0; i < (int)(sizeof kNames / sizeof kNames[0]); i++)
    if (strcasecmp(name, kNames[i]) == 0) return i;
  return -1;
}

bool capabilities_drop_bounding(uint64_t keep, Error *e) {
  // The kernel may know more capabilities than our table; PR_CAPBSET_READ fails past the last one.
  for (int cap = 0; cap < 64; cap++) {
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0) break;
    if (keep & (1ull << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) return fail(e, "capabilities", errno, "dropping capability %d from the bounding set", cap);
  }
  return true;
}

bool capabilities_apply(uint64_t keep, Error *e) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2];
  for (int i = 0; i < 2; i++) {
    uint32_t word = (uint32_t)(keep >> (32 * i));
    data[i].effective = data[i].permitted = word;
    // An empty inheritable set keeps file capabilities of an exec'd binary from reaching beyond the
    // bounding set's intent through inheritance (CVE-2022-24769).
    data[i].inheritable = 0;
  }
  if (syscall(SYS_capset, &hdr, data) < 0) return fail(e, "capabilities", errno, "capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return fail(e, "capabilities", errno, "clearing ambient capabilities");
  return true;
}
