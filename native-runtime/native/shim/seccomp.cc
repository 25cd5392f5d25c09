// A deny-list filter close to Docker's default profile for the calls that matter: everything that
// changes mounts, namespaces, kernel state or keyrings fails with EPERM. Written as raw BPF so the
// shim needs no libseccomp.
#include "seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

static const int kDenied[] = {
    __NR_mount, __NR_umount2, __NR_pivot_root, __NR_unshare, __NR_setns,
    __NR_fsopen, __NR_fsconfig, __NR_fsmount, __NR_fspick, __NR_move_mount, __NR_open_tree, __NR_mount_setattr,
    __NR_keyctl, __NR_add_key, __NR_request_key,
    __NR_ptrace, __NR_kexec_load, __NR_kexec_file_load,
    __NR_init_module, __NR_finit_module, __NR_delete_module, __NR_create_module, __NR_get_kernel_syms, __NR_query_module,
    __NR_reboot, __NR_swapon, __NR_swapoff, __NR_acct, __NR_quotactl, __NR_nfsservctl,
    __NR_bpf, __NR_perf_event_open, __NR_userfaultfd,
    __NR_open_by_handle_at, __NR_name_to_handle_at, __NR_lookup_dcookie,
    __NR_settimeofday, __NR_clock_settime, __NR_clock_adjtime,
    __NR_iopl, __NR_ioperm, __NR_uselib, __NR_ustat, __NR_sysfs, __NR__sysctl, __NR_vhangup, __NR_syslog,
    __NR_kcmp, __NR_move_pages, __NR_mbind, __NR_set_mempolicy,
};

#define STMT(code, k) BPF_STMT((unsigned short)(code), (unsigned)(k))
#define JUMP(code, k, jt, jf) BPF_JUMP((unsigned short)(code), (unsigned)(k), jt, jf)
#define DENY(err) STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err))

bool seccomp_install(Error *e) {
  const unsigned kNsFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                            CLONE_NEWNET | CLONE_NEWCGROUP;
  const int ndenied = sizeof kDenied / sizeof kDenied[0];
  sock_filter prog[16 + 2 * ndenied];
  int n = 0;

  // Only the native x86_64 ABI is allowed: i386 and x32 numbers differ and would dodge the list.
  prog[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  prog[n++] = DENY(EPERM);
  prog[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
  prog[n++] = JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u /* __X32_SYSCALL_BIT */, 0, 1);
  prog[n++] = DENY(EPERM);

  // clone: plain fork/threads pass, any namespace flag is refused.
  prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4);
  prog[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0]));  // low 32 bits (little endian)
  prog[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, kNsFlags, 0, 1);
  prog[n++] = DENY(EPERM);
  prog[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  // clone3 passes flags in memory the filter cannot read; ENOSYS makes libc fall back to clone.
  prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1);
  prog[n++] = DENY(ENOSYS);

  for (int i = 0; i < ndenied; i++) {
    prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, kDenied[i], 0, 1);
    prog[n++] = DENY(EPERM);
  }
  prog[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);

  sock_fprog fprog{(unsigned short)n, prog};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0) return fail(e, "seccomp", errno, "installing the seccomp filter");
  return true;
}
