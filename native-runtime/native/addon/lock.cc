// The data-root lock: flock(LOCK_EX|LOCK_NB); the fd stays open (and the lock held) until unlockFile.
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "result.h"

namespace berth {

static Napi::Value LockFile(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  std::string path;
  if (!ArgString(info, 0, "path", &path, &error)) return error;
  Fd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.ok()) return SysErr(env, errno, "open " + path);
  if (flock(fd.get(), LOCK_EX | LOCK_NB) < 0) {
    int err = errno;
    return SysErr(env, err, err == EWOULDBLOCK ? path + " is locked by another process" : "flock " + path);
  }
  Napi::Object value = Napi::Object::New(env);
  value.Set("fd", fd.release());
  return Ok(env, value);
}

static Napi::Value UnlockFile(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Value error;
  int64_t fd;
  if (!ArgInt(info, 0, "fd", &fd, &error)) return error;
  if (fd < 0 || fd > INT32_MAX) return Err(env, EBADF, "invalid fd");
  if (flock((int)fd, LOCK_UN) < 0) return SysErr(env, errno, "flock LOCK_UN");
  if (close((int)fd) < 0) return SysErr(env, errno, "close");
  return OkNull(env);
}

void InitLock(Napi::Env env, Napi::Object exports) {
  exports.Set("lockFile", Napi::Function::New(env, LockFile, "lockFile"));
  exports.Set("unlockFile", Napi::Function::New(env, UnlockFile, "unlockFile"));
}

}  // namespace berth
