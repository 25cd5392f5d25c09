// mount(2), umount2(2) and overlay mounts. An overlay's lowerdir option must fit in one page; the
// classic fix is chdir + relative lowers, but chdir is process-wide and Node is multi-threaded, so:
//   1. absolute lowers when the option fits in a page;
//   2. otherwise the new mount API, one "lowerdir+" per layer (Linux >= 6.8), no page limit;
//   3. otherwise `berth-shim mount-overlay`, which chdirs in its own process.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "json_quote.h"
#include "result.h"

extern char **environ;

namespace berth {

namespace {

const size_t kPageOptions = 4095;  // the kernel copies mount data into one page, NUL included

struct OverlayOpts {
  std::string cwd, upper, work, target;
  std::vector<std::string> lower;
  bool readonly = false;
};

std::string Absolute(const std::string &cwd, const std::string &p) { return p[0] == '/' ? p : cwd + "/" + p; }

bool GetString(Napi::Object o, const char *key, bool required, std::string *out, std::string *why) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) {
    if (required) *why = std::string(key) + " is required";
    return !required;
  }
  if (!v.IsString()) {
    *why = std::string(key) + " must be a string";
    return false;
  }
  *out = v.As<Napi::String>().Utf8Value();
  if (out->empty() || out->find('\0') != std::string::npos || out->find_first_of(",:") != std::string::npos) {
    *why = std::string(key) + " must be a non-empty path without ',', ':' or NUL";
    return false;
  }
  return true;
}

bool ParseOverlay(const Napi::CallbackInfo &info, OverlayOpts *o, std::string *why) {
  if (info.Length() < 1 || !info[0].IsObject()) {
    *why = "options must be an object";
    return false;
  }
  Napi::Object obj = info[0].As<Napi::Object>();
  if (!GetString(obj, "cwd", true, &o->cwd, why) || !GetString(obj, "target", true, &o->target, why) ||
      !GetString(obj, "upper", false, &o->upper, why) || !GetString(obj, "work", false, &o->work, why))
    return false;
  if (o->cwd[0] != '/' || o->target[0] != '/') {
    *why = "cwd and target must be absolute";
    return false;
  }
  if (o->upper.empty() != o->work.empty()) {
    *why = "upper and work go together";
    return false;
  }
  Napi::Value lower = obj.Get("lower");
  if (!lower.IsArray() || lower.As<Napi::Array>().Length() == 0) {
    *why = "lower must be a non-empty array of strings";
    return false;
  }
  Napi::Array arr = lower.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Object holder = Napi::Object::New(info.Env());
    holder.Set("lower", arr.Get(i));
    std::string s;
    if (!GetString(holder, "lower", true, &s, why)) return false;
    o->lower.push_back(s);
  }
  Napi::Value ro = obj.Get("readonly");
  o->readonly = ro.IsBoolean() && ro.As<Napi::Boolean>().Value();
  return true;
}

std::string OptionString(const OverlayOpts &o, bool absolute) {
  std::string s = "lowerdir=";
  for (size_t i = 0; i < o.lower.size(); i++) s += (i ? ":" : "") + (absolute ? Absolute(o.cwd, o.lower[i]) : o.lower[i]);
  if (!o.upper.empty()) s += ",upperdir=" + Absolute(o.cwd, o.upper) + ",workdir=" + Absolute(o.cwd, o.work);
  return s;
}

// ENOSYS/EINVAL on "lowerdir+" mean the kernel is too old (*unsupported).
bool MountWithFsApi(const OverlayOpts &o, Error *e, bool *unsupported) {
  Fd fs(fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs.ok()) {
    *unsupported = errno == ENOSYS;
    return fail(e, "mount", errno, "fsopen overlay");
  }
  for (const std::string &l : o.lower) {
    if (fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", Absolute(o.cwd, l).c_str(), 0) < 0) {
      *unsupported = errno == EINVAL;
      return fail(e, "mount", errno, "fsconfig lowerdir+ %s", Absolute(o.cwd, l).c_str());
    }
  }
  if (!o.upper.empty() && (fsconfig(fs.get(), FSCONFIG_SET_STRING, "upperdir", Absolute(o.cwd, o.upper).c_str(), 0) < 0 ||
                           fsconfig(fs.get(), FSCONFIG_SET_STRING, "workdir", Absolute(o.cwd, o.work).c_str(), 0) < 0))
    return fail(e, "mount", errno, "fsconfig upperdir/workdir");
  if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) return fail(e, "mount", errno, "create overlay");
  Fd mnt(fsmount(fs.get(), FSMOUNT_CLOEXEC, o.readonly ? MOUNT_ATTR_RDONLY : 0));
  if (!mnt.ok()) return fail(e, "mount", errno, "fsmount overlay");
  if (move_mount(mnt.get(), "", AT_FDCWD, o.target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return fail(e, "mount", errno, "move_mount overlay to %s", o.target.c_str());
  return true;
}

std::string ShimPathNextToAddon() {
  Dl_info dl;
  std::string path = "berth-shim";
  if (dladdr((void *)&ShimPathNextToAddon, &dl) && dl.dli_fname) {
    path = dl.dli_fname;
    path = path.substr(0, path.rfind('/') + 1) + "berth-shim";
  }
  return path;
}

// posix_spawn (vfork-like) is safe from a multi-threaded process, unlike fork.
Napi::Value MountWithShim(Napi::Env env, const OverlayOpts &o) {
  std::string json = "{\"cwd\":" + JsonQuote(o.cwd) + ",\"lower\":[";
  for (size_t i = 0; i < o.lower.size(); i++) json += (i ? "," : "") + JsonQuote(o.lower[i]);
  json += "]";
  if (!o.upper.empty()) json += ",\"upper\":" + JsonQuote(o.upper) + ",\"work\":" + JsonQuote(o.work);
  json += ",\"target\":" + JsonQuote(o.target) + ",\"readonly\":" + (o.readonly ? "true" : "false") + "}";

  int out[2];
  if (pipe2(out, O_CLOEXEC) < 0) return SysErr(env, errno, "pipe2");
  Fd rd(out[0]), wr(out[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, wr.get(), 1);
  std::string shim = ShimPathNextToAddon();
  const char *argv[] = {shim.c_str(), "mount-overlay", json.c_str(), nullptr};
  pid_t pid;
  int err = posix_spawn(&pid, shim.c_str(), &fa, nullptr, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (err) return SysErr(env, err, "spawn " + shim);
  { Fd closing(wr.release()); }
  std::string output;
  char buf[1024];
  ssize_t r;
  while ((r = read(rd.get(), buf, sizeof buf)) != 0) {
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    output.append(buf, (size_t)r);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return OkNull(env);
  // The shim prints {"errno":N,"message":"…"}; keep the errno, pass the text along.
  int code = EIO;
  size_t at = output.find("\"errno\":");
  if (at != std::string::npos) code = atoi(output.c_str() + at + 8);
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return Err(env, code ? code : EIO, "berth-shim mount-overlay: " + output);
}

Napi::Value Mount(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string source, target, fstype, data;
  int64_t flags;
  if (!ArgString(info, 0, "source", &source, &error) || !ArgString(info, 1, "target", &target, &error) ||
      !ArgString(info, 2, "fstype", &fstype, &error) || !ArgInt(info, 3, "flags", &flags, &error) ||
      !ArgString(info, 4, "data", &data, &error))
    return error;
  if (mount(source.empty() ? nullptr : source.c_str(), target.c_str(), fstype.empty() ? nullptr : fstype.c_str(),
            (unsigned long)flags, data.empty() ? nullptr : data.c_str()) < 0)
    return SysErr(env, errno, "mount " + source + " on " + target);
  return OkNull(env);
}

Napi::Value MountOverlay(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  OverlayOpts o;
  std::string why;
  if (!ParseOverlay(info, &o, &why)) return Err(env, EINVAL, "mountOverlay: " + why);

  std::string opts = OptionString(o, true);
  if (opts.size() <= kPageOptions) {
    if (mount("overlay", o.target.c_str(), "overlay", o.readonly ? MS_RDONLY : 0, opts.c_str()) < 0)
      return SysErr(env, errno, "mount overlay on " + o.target);
    return OkNull(env);
  }
  bool unsupported = false;
  Error e{};
  if (MountWithFsApi(o, &e, &unsupported)) return OkNull(env);
  if (!unsupported) return Err(env, e);
  if (OptionString(o, false).size() > kPageOptions)
    return Err(env, E2BIG, "overlay options exceed one page even with lowers relative to " + o.cwd);
  return MountWithShim(env, o);
}

Napi::Value Umount(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string target;
  int64_t flags = 0;
  if (!ArgString(info, 0, "target", &target, &error)) return error;
  if (info.Length() > 1 && !info[1].IsUndefined() && !ArgInt(info, 1, "flags", &flags, &error)) return error;
  if (umount2(target.c_str(), (int)flags) < 0) return SysErr(env, errno, "umount " + target);
  return OkNull(env);
}

}  // namespace

void InitMount(Napi::Env env, Napi::Object exports) {
  exports.Set("mount", Napi::Function::New(env, Mount, "mount"));
  exports.Set("mountOverlay", Napi::Function::New(env, MountOverlay, "mountOverlay"));
  exports.Set("umount", Napi::Function::New(env, Umount, "umount"));
}

}  // namespace berth
