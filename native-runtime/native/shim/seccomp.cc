// A deny-list filter with the effect of Docker's default profile (moby profiles/seccomp/default.json) on
// the calls that matter: what changes mounts, namespaces, kernel state or keyrings fails with EPERM,
// unless the process holds the capability that profile's `includes.caps` rules open it for (mount with
// CAP_SYS_ADMIN, kcmp with CAP_SYS_PTRACE, reboot with CAP_SYS_BOOT, ...). Written as raw BPF so the shim
// needs no libseccomp; the filter is built per process from the capabilities it is about to get.
#include "seccomp.h"

#include <stdlib.h>

#include "json.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

#define CAP(name) (1ull << CAP_##name)

namespace {

struct Rule {
  int nr;
  uint64_t opened_by;  // any of these capabilities allows the call; 0: never allowed
};

// Not in Docker's default profile at all (pivot_root included: runtimes call it before the filter), or
// allowed there only with the capabilities named. ptrace, process_vm_readv/writev, name_to_handle_at and
// clock_adjtime are allowed for everyone there (kernel >= 4.8), so they are not listed.
const Rule kRules[] = {
    {__NR_pivot_root, 0}, {__NR_keyctl, 0}, {__NR_add_key, 0}, {__NR_request_key, 0},
    {__NR_kexec_load, 0}, {__NR_kexec_file_load, 0}, {__NR_create_module, 0}, {__NR_get_kernel_syms, 0},
    {__NR_query_module, 0}, {__NR_swapon, 0}, {__NR_swapoff, 0}, {__NR_nfsservctl, 0}, {__NR_userfaultfd, 0},
    {__NR_uselib, 0}, {__NR_ustat, 0}, {__NR_sysfs, 0}, {__NR__sysctl, 0}, {__NR_move_pages, 0},

    {__NR_open_by_handle_at, CAP(DAC_READ_SEARCH)},

    {__NR_mount, CAP(SYS_ADMIN)}, {__NR_umount2, CAP(SYS_ADMIN)}, {__NR_unshare, CAP(SYS_ADMIN)},
    {__NR_setns, CAP(SYS_ADMIN)}, {__NR_fsopen, CAP(SYS_ADMIN)}, {__NR_fsconfig, CAP(SYS_ADMIN)},
    {__NR_fsmount, CAP(SYS_ADMIN)}, {__NR_fspick, CAP(SYS_ADMIN)}, {__NR_move_mount, CAP(SYS_ADMIN)},
    {__NR_open_tree, CAP(SYS_ADMIN)}, {__NR_mount_setattr, CAP(SYS_ADMIN)}, {__NR_fanotify_init, CAP(SYS_ADMIN)},
    {__NR_lookup_dcookie, CAP(SYS_ADMIN)}, {__NR_quotactl, CAP(SYS_ADMIN)}, {__NR_quotactl_fd, CAP(SYS_ADMIN)},
    {__NR_sethostname, CAP(SYS_ADMIN)}, {__NR_setdomainname, CAP(SYS_ADMIN)},
    {__NR_bpf, CAP(SYS_ADMIN) | CAP(BPF)}, {__NR_perf_event_open, CAP(SYS_ADMIN) | CAP(PERFMON)},
    {__NR_syslog, CAP(SYS_ADMIN) | CAP(SYSLOG)},

    {__NR_reboot, CAP(SYS_BOOT)},
    {__NR_chroot, CAP(SYS_CHROOT)},
    {__NR_init_module, CAP(SYS_MODULE)}, {__NR_finit_module, CAP(SYS_MODULE)}, {__NR_delete_module, CAP(SYS_MODULE)},
    {__NR_acct, CAP(SYS_PACCT)},
    {__NR_kcmp, CAP(SYS_PTRACE)}, {__NR_pidfd_getfd, CAP(SYS_PTRACE)}, {__NR_process_madvise, CAP(SYS_PTRACE)},
    {__NR_iopl, CAP(SYS_RAWIO)}, {__NR_ioperm, CAP(SYS_RAWIO)},
    {__NR_settimeofday, CAP(SYS_TIME)}, {__NR_clock_settime, CAP(SYS_TIME)},
    {__NR_vhangup, CAP(SYS_TTY_CONFIG)},
    {__NR_get_mempolicy, CAP(SYS_NICE)}, {__NR_mbind, CAP(SYS_NICE)}, {__NR_set_mempolicy, CAP(SYS_NICE)},
    {__NR_set_mempolicy_home_node, CAP(SYS_NICE)},
};
const int kNumRules = sizeof kRules / sizeof kRules[0];

}  // namespace

#define STMT(code, k) BPF_STMT((unsigned short)(code), (unsigned)(k))
#define JUMP(code, k, jt, jf) BPF_JUMP((unsigned short)(code), (unsigned)(k), jt, jf)
#define DENY(err) STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err))
#define ALLOW STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define LOAD(field) STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, field))

bool seccomp_install(uint64_t caps, Error *e) {
  const unsigned kNsFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                            CLONE_NEWNET | CLONE_NEWCGROUP;
  const bool sys_admin = caps & CAP(SYS_ADMIN);
  sock_filter prog[24 + 2 * kNumRules];
  int n = 0;

  // Only the native x86_64 ABI is allowed: i386 and x32 numbers differ and would dodge the list.
  prog[n++] = LOAD(arch);
  prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  prog[n++] = DENY(EPERM);
  prog[n++] = LOAD(nr);
  prog[n++] = JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u /* __X32_SYSCALL_BIT */, 0, 1);
  prog[n++] = DENY(EPERM);

  if (!sys_admin) {
    // clone: plain fork/threads pass, any namespace flag is refused.
    prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4);
    prog[n++] = LOAD(args[0]);  // low 32 bits (little endian)
    prog[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, kNsFlags, 0, 1);
    prog[n++] = DENY(EPERM);
    prog[n++] = ALLOW;
    // clone3 passes flags in memory the filter cannot read; ENOSYS makes libc fall back to clone.
    prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1);
    prog[n++] = DENY(ENOSYS);
  }
  // socket(AF_VSOCK, ...) is refused, as in Docker's profile; every other family passes.
  prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 4);
  prog[n++] = LOAD(args[0]);
  prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_VSOCK, 0, 1);
  prog[n++] = DENY(EPERM);
  prog[n++] = ALLOW;

  for (const Rule &r : kRules) {
    if (r.opened_by & caps) continue;
    prog[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, r.nr, 0, 1);
    prog[n++] = DENY(EPERM);
  }
  prog[n++] = ALLOW;

  sock_fprog fprog{(unsigned short)n, prog};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0) return fail(e, "seccomp", errno, "installing the seccomp filter");
  return true;
}

bool seccomp_parse_filter(const JsonNode *obj, SeccompFilter *out, Error *e) {
  out->insns = nullptr;
  out->n = 0;
  const JsonNode *v = json_get(obj, "seccompFilter");
  if (!v || v->type == JSON_NULL) return true;
  size_t len = v->type == JSON_ARRAY ? json_length(v) : 0;
  if (v->type != JSON_ARRAY || len == 0 || len % 4 != 0 || len / 4 > BPF_MAXINSNS)
    return fail(e, "config", EINVAL, "\"seccompFilter\" must hold 1..%d instructions of 4 numbers", BPF_MAXINSNS);
  out->insns = (sock_filter *)calloc(len / 4, sizeof(sock_filter));
  if (!out->insns) return fail(e, "config", ENOMEM, "seccompFilter");
  size_t i = 0;
  for (const JsonNode *n = v->child; n; n = n->next, i++) {
    // code and jt/jf are 16 and 8 bits, k 32 bits.
    const double limit = i % 4 == 0 ? 0xffff : i % 4 == 3 ? 4294967295.0 : 0xff;
    if (n->type != JSON_NUMBER || n->number < 0 || n->number > limit || n->number != (double)(uint64_t)n->number)
      return fail(e, "config", EINVAL, "\"seccompFilter\"[%zu] is out of range", i);
    sock_filter &f = out->insns[i / 4];
    uint32_t x = (uint32_t)n->number;
    switch (i % 4) {
      case 0: f.code = (uint16_t)x; break;
      case 1: f.jt = (uint8_t)x; break;
      case 2: f.jf = (uint8_t)x; break;
      default: f.k = x;
    }
  }
  out->n = (int)(len / 4);
  return true;
}

bool seccomp_install_filter(const SeccompFilter &f, Error *e) {
  sock_fprog fprog{(unsigned short)f.n, f.insns};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0) return fail(e, "seccomp", errno, "installing the seccomp profile's filter");
  return true;
}
