// cgroup v2 has no devices.allow: device access is decided by a BPF_PROG_TYPE_CGROUP_DEVICE program
// attached to the group, as runc does (libcontainer/cgroups/devices/devicefilter.go). The program is an
// allow list: each rule matches a device type (or any), a major and minor (or any) and the requested
// access (which must be a subset of the rule's); the first match allows, nothing matched denies.
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

#include "result.h"

namespace berth {

namespace {

struct Rule {
  int type;     // 0 any, BPF_DEVCG_DEV_BLOCK (1), BPF_DEVCG_DEV_CHAR (2)
  int64_t major, minor;  // -1: any
  int access;   // BPF_DEVCG_ACC_MKNOD | READ | WRITE
};

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst;
  i.src_reg = src;
  i.off = off;
  i.imm = imm;
  return i;
}

// r2 = type, r3 = access, r4 = major, r5 = minor (struct bpf_cgroup_dev_ctx), then one block per rule.
std::vector<bpf_insn> Program(const std::vector<Rule> &rules) {
  std::vector<bpf_insn> p;
  p.push_back(Insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0));
  p.push_back(Insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff));
  p.push_back(Insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, 0, 0));
  p.push_back(Insn(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
  p.push_back(Insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0));
  p.push_back(Insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0));
  const int kAll = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
  for (const Rule &r : rules) {
    // Count the block first: its failed checks jump past its end.
    int n = 2 + (r.type ? 1 : 0) + ((r.access & kAll) != kAll ? 3 : 0) + (r.major >= 0 ? 1 : 0) + (r.minor >= 0 ? 1 : 0);
    int at = 0;  // instructions of this block emitted so far
    auto skip = [&]() { return (int16_t)(n - at - 1); };
    if (r.type) {
      p.push_back(Insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, skip(), r.type));
      at++;
    }
    if ((r.access & kAll) != kAll) {
      // (requested & allowed) == requested
      p.push_back(Insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
      at++;
      p.push_back(Insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, r.access));
      at++;
      p.push_back(Insn(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, skip(), 0));
      at++;
    }
    if (r.major >= 0) {
      p.push_back(Insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, skip(), (int32_t)r.major));
      at++;
    }
    if (r.minor >= 0) {
      p.push_back(Insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, skip(), (int32_t)r.minor));
      at++;
    }
    p.push_back(Insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1));
    p.push_back(Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  }
  p.push_back(Insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
  p.push_back(Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  return p;
}

long Bpf(int cmd, bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof *attr); }

// Rules arrive as a flat [type, major, minor, access, ...] list.
bool ParseRules(const Napi::Value &v, std::vector<Rule> *out, std::string *why) {
  if (!v.IsArray()) return *why = "rules must be an array", false;
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() % 4 != 0 || a.Length() / 4 > 1000) return *why = "rules must be [type, major, minor, access] quadruples (at most 1000)", false;
  for (uint32_t i = 0; i < a.Length(); i += 4) {
    int64_t f[4];
    for (uint32_t k = 0; k < 4; k++) {
      Napi::Value x = a.Get(i + k);
      if (!x.IsNumber()) return *why = "rules hold numbers only", false;
      f[k] = x.As<Napi::Number>().Int64Value();
    }
    if (f[0] < 0 || f[0] > 2 || f[1] < -1 || f[1] > 0xfffffff || f[2] < -1 || f[2] > 0xfffff || f[3] <= 0 || f[3] > 7)
      return *why = "a device rule is out of range", false;
    out->push_back(Rule{(int)f[0], f[1], f[2], (int)f[3]});
  }
  return true;
}

Napi::Value AttachDeviceFilter(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string dir, why;
  if (!ArgString(info, 0, "cgroupDir", &dir, &error)) return error;
  std::vector<Rule> rules;
  if (info.Length() < 2 || !ParseRules(info[1], &rules, &why)) return Err(env, EINVAL, why.empty() ? "rules are missing" : why);
  Fd group(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!group.ok()) return SysErr(env, errno, "open " + dir);
  std::vector<bpf_insn> prog = Program(rules);
  bpf_attr load{};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (uint64_t)(uintptr_t)prog.data();
  load.insn_cnt = (uint32_t)prog.size();
  load.license = (uint64_t)(uintptr_t) "Apache";
  Fd fd((int)Bpf(BPF_PROG_LOAD, &load));
  if (!fd.ok()) {
    int err = errno;
    // Again with the verifier's log (only its end fits), for the error message.
    static char log[16384];
    log[0] = 0;
    load.log_buf = (uint64_t)(uintptr_t)log;
    load.log_size = sizeof log;
    load.log_level = 1;
    Fd again((int)Bpf(BPF_PROG_LOAD, &load));
    return Err(env, err, std::string("loading the device filter: ") + strerror(err) + (log[0] ? std::string(": ") + log : ""));
  }
  bpf_attr attach{};
  attach.target_fd = (uint32_t)group.get();
  attach.attach_bpf_fd = (uint32_t)fd.get();
  attach.attach_type = BPF_CGROUP_DEVICE;
  // ALLOW_MULTI as runc: a program attached higher up (the engine's parent group) still applies too.
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (Bpf(BPF_PROG_ATTACH, &attach) < 0) return SysErr(env, errno, "attaching the device filter to " + dir);
  // The attachment holds the program; our fd can go.
  Napi::Object value = Napi::Object::New(env);
  value.Set("instructions", (double)prog.size());
  return Ok(env, value);
}

}  // namespace

void InitDeviceFilter(Napi::Env env, Napi::Object exports) {
  exports.Set("attachDeviceFilter", Napi::Function::New(env, AttachDeviceFilter, "attachDeviceFilter"));
}

}  // namespace berth
