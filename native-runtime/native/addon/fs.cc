// mknod and extended attributes (l-variants: a symlink's own xattrs, never its target's).
#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <vector>

#include "result.h"

namespace berth {

static Napi::Value Mknod(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string path;
  int64_t mode, major, minor;
  if (!ArgString(info, 0, "path", &path, &error) || !ArgInt(info, 1, "mode", &mode, &error) ||
      !ArgInt(info, 2, "major", &major, &error) || !ArgInt(info, 3, "minor", &minor, &error))
    return error;
  if (mknod(path.c_str(), (mode_t)mode, makedev((unsigned)major, (unsigned)minor)) < 0)
    return SysErr(env, errno, "mknod " + path);
  return OkNull(env);
}

static Napi::Value Setxattr(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string path, name;
  if (!ArgString(info, 0, "path", &path, &error) || !ArgString(info, 1, "name", &name, &error)) return error;
  if (info.Length() < 3 || !info[2].IsBuffer()) return Err(env, EINVAL, "value must be a Buffer");
  Napi::Buffer<char> value = info[2].As<Napi::Buffer<char>>();
  if (lsetxattr(path.c_str(), name.c_str(), value.Data(), value.Length(), 0) < 0)
    return SysErr(env, errno, "lsetxattr " + name + " on " + path);
  return OkNull(env);
}

static Napi::Value Getxattr(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string path, name;
  if (!ArgString(info, 0, "path", &path, &error) || !ArgString(info, 1, "name", &name, &error)) return error;
  // Size first, then read; retry if the value grew in between.
  for (int attempt = 0; attempt < 4; attempt++) {
    ssize_t size = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (size < 0 && errno == ENODATA) return Ok(env, env.Null());
    if (size < 0) return SysErr(env, errno, "lgetxattr " + name + " on " + path);
    std::vector<char> buf((size_t)size + 1);
    ssize_t got = lgetxattr(path.c_str(), name.c_str(), buf.data(), buf.size());
    if (got < 0 && errno == ERANGE) continue;
    if (got < 0 && errno == ENODATA) return Ok(env, env.Null());
    if (got < 0) return SysErr(env, errno, "lgetxattr " + name + " on " + path);
    return Ok(env, Napi::Buffer<char>::Copy(env, buf.data(), (size_t)got));
  }
  return Err(env, ERANGE, "lgetxattr " + name + " on " + path + ": value keeps changing size");
}

void InitFs(Napi::Env env, Napi::Object exports) {
  exports.Set("mknod", Napi::Function::New(env, Mknod, "mknod"));
  exports.Set("setxattr", Napi::Function::New(env, Setxattr, "setxattr"));
  exports.Set("getxattr", Napi::Function::New(env, Getxattr, "getxattr"));
}

}  // namespace berth
